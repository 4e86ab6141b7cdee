"""Ask where to export the Diff screen's history: the path's ending chooses CSV or JSONL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tofy_core import paths


def default_export_path() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / "diff-exports" / f"diff-{stamp}.jsonl"


class ExportHistory(ModalScreen[str | None]):
    """Dismisses with the path typed (Enter), or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(
                "Export the history — a path ending in .csv writes CSV, anything else JSONL "
                "(the fields of `tofy diff --json`). Enter saves, Escape cancels.",
                markup=False,
            )
            yield Input(str(default_export_path()), id="export-path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
