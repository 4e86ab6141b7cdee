"""The data sources recently trained on, offered again by the form and the data picker; kept
in the config folder's tui.json, newest first."""

from __future__ import annotations

import contextlib
import json

from tofy_core import paths
from tofy_core.fsutil import atomic_write_json

RECENT_FILE = "tui.json"
RECENT_LIMIT = 10


def recent_data() -> list[str]:
    try:
        data = json.loads((paths.config_dir() / RECENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("recent_data", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, str) and item][:RECENT_LIMIT]


def remember_data(source: str) -> None:
    """Put `source` first in the recent list (the built-in corpus is not remembered)."""
    if not source:
        return
    items = [source, *(item for item in recent_data() if item != source)][:RECENT_LIMIT]
    with contextlib.suppress(OSError):
        atomic_write_json(paths.config_dir() / RECENT_FILE, {"recent_data": items})
