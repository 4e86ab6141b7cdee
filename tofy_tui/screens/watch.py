"""Pick a run for the monitor: one training now (started here or with `tofy train` elsewhere)
to watch live, or any other run that logged events to replay its curves."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
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
            )
            yield OptionList(
                *(Option(self._label(info), id=info.run_id) for info in self.found),
                id="watch-list",
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
