"""What the app remembers between sessions, in one small JSON file (tui.json in Tofy's config
folder: TOFY_HOME/config when TOFY_HOME is set): the Train form's last values, the theme, the
data sources that trained, and the charts' scales and x axes. Written atomically; read back
validated, so a damaged file means the defaults and one line saying so (`problem`), never a
traceback.

Torch-free and Textual-free: the app applies what this returns (`attach_theme` is handed
the app)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.fsutil import atomic_write_json

STATE_FILE = "tui.json"
RECENT_LIMIT = 10
MAX_BYTES = 1 << 20  # a settings file this big is not ours
# The form saves from the UI thread, the recent list from the run tail's worker: one
# read-modify-write at a time, so neither undoes the other.
_WRITING = threading.Lock()


@dataclass
class UiState:
    """The remembered settings; each part falls back to its default on its own."""

    form: dict[str, str] = field(default_factory=dict)
    theme: str = ""
    recent_data: list[str] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)  # tofy_tui/chart_prefs.py checks it

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "theme": self.theme,
            "recent_data": self.recent_data,
            "charts": self.charts,
        }


def state_path() -> Path:
    return paths.config_dir() / STATE_FILE


def load() -> tuple[UiState, str]:
    """The remembered state and the problem with the file ("" when none, or no file yet)."""
    try:
        path = state_path()
        if not path.exists():
            return UiState(), ""
        if path.stat().st_size > MAX_BYTES:
            return UiState(), _damaged(path, "larger than a settings file can be")
        data = json.loads(path.read_text(encoding="utf-8"))
    except TofyError as exc:
        return UiState(), str(exc)
    except UnicodeDecodeError:
        return UiState(), _damaged(state_path(), "not UTF-8 text")
    except ValueError as exc:
        return UiState(), _damaged(state_path(), f"not JSON: {exc}")
    except OSError as exc:
        return UiState(), f"cannot read {state_path()} ({exc.strerror}): using the defaults"
    return _parse(data, state_path())


def read() -> UiState:
    """The remembered state, the defaults where the file is missing or damaged."""
    return load()[0]


def update(**parts: Any) -> str:
    """Replace some parts (form=, theme=, recent_data=) and write the file atomically; the
    other parts stay as they are. Returns the problem writing it ("" when written)."""
    for name in parts:
        if not hasattr(UiState(), name):
            raise TypeError(f"no remembered part {name!r}")

    def replace(state: UiState) -> None:
        for name, value in parts.items():
            setattr(state, name, value)

    return change(replace)


def change(edit: Callable[[UiState], None]) -> str:
    """Read the file, `edit` what it holds, write it back: one read-modify-write at a time
    across threads and across app processes (a lock file beside it), so two apps merge their
    changes into what the other wrote instead of writing over it. Returns the problem
    ("" when written)."""
    with _WRITING:
        try:
            with _file_lock():
                state = read()
                edit(state)
                atomic_write_json(state_path(), state.to_json())
        except TofyError as exc:
            return str(exc)
        except OSError as exc:
            return f"cannot save settings to {state_path()} ({exc.strerror or exc})"
    return ""


@contextmanager
def _file_lock() -> Iterator[None]:
    """An exclusive lock on tui.json.lock, held for one read-modify-write (released by the
    kernel if the app dies)."""
    path = state_path().with_name(STATE_FILE + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _damaged(path: Path, why: str) -> str:
    return f"{path} is damaged ({why}): using the defaults; it is rewritten on the next change"


def _parse(data: Any, path: Path) -> tuple[UiState, str]:
    """Every part checked on its own: a wrong one is dropped (and named), the others kept."""
    if not isinstance(data, dict):
        return UiState(), _damaged(path, "not a JSON object")
    state, wrong = UiState(), []
    form = data.get("form", {})
    if isinstance(form, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in form.items()
    ):
        state.form = dict(form)
    else:
        wrong.append("form")
    theme = data.get("theme", "")
    if isinstance(theme, str):
        state.theme = theme
    else:
        wrong.append("theme")
    recent = data.get("recent_data", [])
    if isinstance(recent, list) and all(isinstance(item, str) for item in recent):
        state.recent_data = [item for item in recent if item][:RECENT_LIMIT]
    else:
        wrong.append("recent_data")
    charts = data.get("charts", {})
    if isinstance(charts, dict) and all(isinstance(k, str) for k in charts):
        state.charts = dict(charts)
    else:
        wrong.append("charts")
    if wrong:
        return state, _damaged(path, f"bad {', '.join(wrong)}")
    return state, ""


def attach_theme(app: Any) -> None:
    """Open the app in the remembered theme and remember every change of it; a damaged file
    is said once, here, as the app starts."""
    state, problem = load()
    if state.theme and state.theme in app.available_themes:
        app.theme = state.theme
    if problem:
        app.notify(problem, title="Settings", severity="warning", markup=False)
    app.theme_changed_signal.subscribe(app, lambda theme: update(theme=theme.name))
