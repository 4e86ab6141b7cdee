"""The help screen (?): what Tofy does and every key, read from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = "\n\n".join(
    (
        "Tofy trains small JEPA-style text encoders and lets you probe them.",
        "Train: the form on the left holds every setting; the defaults train in about a "
        "minute on a laptop CPU. Start launches `python -m tofy_core train` as a child process "
        "and the monitor tails its metrics.jsonl. Stop asks the trainer to save and end as "
        "'stopped' (resume later with `tofy resume ID`). Watch attaches the monitor to any "
        "running run, even one started with `tofy train` in another terminal.",
        "In a field, Escape goes back to the buttons so single-key shortcuts work again. "
        "Ctrl+P opens the command palette; q asks before leaving a training run behind.",
    )
)


def key_table(title: str, bindings: list[Binding]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    for binding in bindings:
        if binding.description:
            keys = binding.key.replace("question_mark", "?")
            table.add_row(Text(keys), Text(binding.description))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close", id="help.close")
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__(id="help")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(INTRO, markup=False)
            for title, bindings in self.sections:
                yield Static(key_table(title, bindings), classes="help-keys")
