"""The Models screen's table of runs: Textual's DataTable, its Enter shown in the footer as
what it does there (open the run in Diff); DataTable's own Enter binding is hidden, and being
nearer the focus it would hide the screen's from the footer."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class RunTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Diff", id="models.open"),
    ]
