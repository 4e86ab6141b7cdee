"""The help screen (?): how to close it, what the current screen does, and its keys (plus the
keys that work everywhere), read from the bindings themselves so it never drifts."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

CLOSE = "Escape, ? or q closes this help."
INTROS = {
    "Train": (
        "The form on the left holds every setting of `tofy train`: the common ones in view, "
        "the others under Advanced (Enter on its title opens it). The defaults train in about "
        "a minute on a laptop CPU. Start launches `python -m tofy_core train` as a child "
        "process and the monitor tails its metrics.jsonl. Stop asks the trainer to save and "
        "end as 'stopped' (resume later with `tofy resume ID`). Watch attaches the monitor to "
        "any running run, even one started with `tofy train` in another terminal; stopping "
        "such a run asks first. It also replays any finished, stopped or failed run's "
        "curves.\n\n"
        "The monitor: m pages through the plots (each metric on its own scale; the last "
        "pages offer every number the trainer logs), e smooths the noisy ones (loss, rates; "
        "the legends show the values as logged), t switches the x axis between step, tokens "
        "seen and wall time, c (or a click) selects a chart and Y puts it on a log scale, y "
        "shows or hides the system panel (the trainer's CPU and memory, the GPU on CUDA), v "
        "the log's step lines. The axis and the log scales are remembered.\n\n"
        "The form is kept between sessions: quit and come back to the same settings. "
        "l loads the settings of any earlier run; the command palette can also reset the form "
        "to the defaults. In a field, letters are typed, never taken as keys: Escape goes back "
        "to the buttons so single-key shortcuts work again."
    ),
    "Models": (
        "Every run on disk, refreshed as runs progress: sort, filter, mark several to compare "
        "their curves, resume, watch, rename, export or delete. Enter probes the selected "
        "run's model on the Diff screen. In the comparison, t switches the x axis between "
        "step, tokens seen and wall time and Y puts the metric's chart on a log scale "
        "(remembered); ctrl+s saves what the comparison shows as CSV."
    ),
    "Diff": (
        "Ask a trained model `phrase with _ => answer`: how close its prediction for the "
        "masked word came to the answer, its rank, and the nearest words."
    ),
}
EVERYWHERE = "Ctrl+P opens the command palette: every action by name, Screenshot, themes."
PALETTE = Binding("ctrl+p", "command_palette", "Command palette")


def screen_bindings(screen: Screen) -> list[Binding]:
    """The screen's own keys, its base classes' included (Textual's are not Tofy's to list)."""
    found: list[Binding] = []
    for cls in reversed(type(screen).__mro__):
        if cls.__module__.startswith("tofy_tui") and "BINDINGS" in vars(cls):
            found += [b for b in vars(cls)["BINDINGS"] if isinstance(b, Binding)]
    return found


def key_table(title: str, bindings: list[Binding]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    for binding in bindings:
        if binding.description:
            keys = binding.key.replace("question_mark", "?").replace("slash", "/")
            table.add_row(Text(keys), Text(binding.description))
    return table


class HelpScreen(ModalScreen[None]):
    """Dismissed by Escape, ? or q; `for_screen` builds it for the screen under it."""

    DEFAULT_CSS = "#help-close { text-style: bold; color: $accent; }"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close", id="help.close")
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]], intro: str = "") -> None:
        super().__init__(id="help")
        self.sections = sections
        self.intro = intro

    @classmethod
    def for_screen(cls, app: App, screen: Screen) -> HelpScreen:
        """Help for `screen`: what it does, its keys, then the keys that work everywhere."""
        name = screen.SUB_TITLE or type(screen).__name__
        sections = [(f"{name} screen", screen_bindings(screen))]
        sections.append(("Everywhere", [*app.BINDINGS, PALETTE]))  # type: ignore[list-item]
        return cls(sections, INTROS.get(name, ""))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(CLOSE, id="help-close", markup=False)
            if self.intro:
                yield Static(self.intro, classes="help-intro", markup=False)
            for title, bindings in self.sections:
                yield Static(key_table(title, bindings), classes="help-keys")
            yield Static(EVERYWHERE, classes="help-keys", markup=False)
