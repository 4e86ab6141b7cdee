"""The Models screen (placeholder): the runs on disk in a table. Opening, resuming,
comparing and deleting runs come with the Models issue."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tofy_core import runs

COMING = (
    "Runs on disk. Coming here: open a run's curves, resume it, compare runs, delete. "
    "Meanwhile: `tofy runs`, `tofy resume ID`."
)


class ModelsScreen(Screen):
    SUB_TITLE = "Models"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="models.refresh")
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(COMING, id="models-note", markup=False)
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "name", "status", "step", "dataset", "created")
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for info in runs.list_runs():
            table.add_row(
                Text(info.run_id),
                Text(info.name),
                Text(info.shown_status),
                Text(f"{info.step:,}/{info.steps:,}"),
                Text(info.dataset),
                Text(info.created),
                key=info.run_id,
            )
