"""How the charts are drawn, remembered between sessions with the rest of the app's state
(tofy_tui/ui_state.py, part `charts`): the x axis of the Train monitor and of the Models
comparison, and which charts use a log scale. Read back value by value: anything unknown
falls back to its default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tofy_core.runs.clock import AXES
from tofy_tui import ui_state


@dataclass
class ChartPrefs:
    monitor_x: str = "step"
    monitor_log: set[str] = field(default_factory=set)  # chart names (tofy_tui/plot_catalog.py)
    compare_x: str = "step"
    compare_log: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "monitor_x": self.monitor_x,
            "monitor_log": sorted(self.monitor_log),
            "compare_x": self.compare_x,
            "compare_log": self.compare_log,
        }


def parse(data: dict[str, Any]) -> ChartPrefs:
    prefs = ChartPrefs()
    for key in ("monitor_x", "compare_x"):
        if data.get(key) in AXES:
            setattr(prefs, key, data[key])
    names = data.get("monitor_log")
    if isinstance(names, list):
        prefs.monitor_log = {name for name in names if isinstance(name, str)}
    if isinstance(data.get("compare_log"), bool):
        prefs.compare_log = data["compare_log"]
    return prefs


def load() -> ChartPrefs:
    return parse(ui_state.read().charts)


def save(prefs: ChartPrefs) -> str:
    """Write them with the rest of the state; returns the problem ("" when written)."""
    return ui_state.update(charts=prefs.to_json())
