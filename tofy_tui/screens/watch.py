"""Pick a run for the monitor: one training now (started here or with `tofy train` elsewhere)
to watch live, or any other run that logged events to replay its curves. The list takes the
height the screen gives it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tofy_core.runs.folders import RunInfo


class WatchScreen(ModalScreen[str | None]):
    """Dismisses with the chosen run id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="watch.cancel")
    ]

    def __init__(self, found: list[RunInfo]) -> None:
        super().__init__(id="watch-dialog")
        self.found = found

    def compose(self) -> ComposeResult:
        with Vertical(id="watch-box"):
            yield Static(
                "Runs — Enter watches a running run live or replays another's curves; "
                "Escape cancels",
                markup=False,
                id="watch-heading",
            )
            yield OptionList(
                *(Option(self._label(info), id=info.run_id) for info in self.found),
                id="watch-list",
            )

    def on_resize(self, event: events.Resize) -> None:
        """The list takes the height the dialog may have (90% of the screen), less the
        dialog's border, padding and heading: many runs fill a tall terminal."""
        heading = self.query_one("#watch-heading", Static)
        box = self.query_one("#watch-box")
        chrome = box.styles.gutter.height + max(heading.outer_size.height, 2)
        self.query_one("#watch-list").styles.max_height = max(
            3, event.size.height * 9 // 10 - chrome
        )

    @staticmethod
    def _label(info: RunInfo) -> Text:
        name = f" ({info.name})" if info.name and info.name != info.run_id else ""
        live = info.is_live
        text = Text("● training " if live else f"  {info.shown_status:<11}", style="bold")
        text.append(f"{info.run_id}{name}")
        steps = f" · step {info.step:,}/{info.steps:,}" if info.steps else ""
        text.append(f"{steps} · {info.dataset}" + (f" · pid {info.pid}" if live else ""))
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
