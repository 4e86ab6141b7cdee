"""Pick the training data: the built-in corpus, a recent source, or a file from the tree."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, OptionList, Static
from textual.widgets.option_list import Option

from tofy_tui.recent_data import recent_data

BUILT_IN = "\0built-in"


class DataPicker(ModalScreen[str | None]):
    """Dismisses with a data source ("" = the built-in corpus), or None to keep the form's."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")
    ]

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(id="data-picker")
        self.root = root or Path.cwd()

    def compose(self) -> ComposeResult:
        options = [Option(Text("built-in corpus"), id=BUILT_IN)]
        options += [Option(Text(source), id=source) for source in recent_data()]
        with Vertical(id="picker-box"):
            yield Static("Recent data — Enter to use", markup=False)
            yield OptionList(*options, id="recent")
            yield Static(Text(f"Files under {self.root}"))
            yield DirectoryTree(self.root, id="tree")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id or BUILT_IN
        self.dismiss("" if chosen == BUILT_IN else chosen)

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))
