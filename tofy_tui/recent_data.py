"""The data sources recently trained on, offered again by the form and the data picker; kept
newest first in the remembered state (ui_state.py's tui.json). Only our own runs that reached
their first training step add to it (run_watch.py), so data that failed is never offered."""

from __future__ import annotations

from tofy_tui import ui_state
from tofy_tui.ui_state import RECENT_LIMIT

__all__ = ["RECENT_LIMIT", "recent_data", "remember_data"]


def recent_data() -> list[str]:
    return ui_state.read().recent_data


def remember_data(source: str) -> None:
    """Put `source` first in the recent list (the built-in corpus is not remembered)."""
    if not source:
        return

    def put_first(state: ui_state.UiState) -> None:  # on the list as another app left it
        others = (item for item in state.recent_data if item != source)
        state.recent_data = [source, *others][:RECENT_LIMIT]

    ui_state.change(put_first)
