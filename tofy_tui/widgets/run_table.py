"""The Models screen's table of runs: Textual's DataTable, its Enter shown in the footer as
what it does there (open the run in Diff); DataTable's own Enter binding is hidden, and being
nearer the focus it would hide the screen's from the footer. It never scrolls sideways (its
columns are chosen to fit, tofy_tui.run_columns): → gives it the detail pane's room for more
columns, ← brings the pane back; a change of width asks the screen to fit its columns again."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable


class RunTable(DataTable):
    DEFAULT_CSS = "RunTable { overflow-x: hidden; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Diff", id="models.open"),
        Binding("right", "screen.more_columns", "More columns", show=False),
        Binding("left", "screen.fewer_columns", "Detail pane back", show=False),
    ]

    class WidthChanged(Message):
        """The table's width changed: its columns are fitted again."""

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.WidthChanged())

    @property
    def room(self) -> int:
        """The cells its columns may take: its width less a vertical scrollbar's."""
        return max(0, self.size.width - self.styles.scrollbar_size_vertical)
