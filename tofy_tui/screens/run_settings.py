"""Pick a run whose settings fill the Train form ("Load settings from run…"): any run with a
readable config.json, finished, stopped, failed or running."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tofy_core import paths
from tofy_core.config import RunConfig
from tofy_core.runs import folders as runs


def runs_with_settings() -> list[runs.RunInfo]:
    """Every run whose folder can be read, newest first (a damaged one has no trusted config)."""
    return [info for info in runs.list_runs() if not info.is_damaged]


def run_settings(run_id: str) -> RunConfig:
    """The run's config.json, read and validated by the engine (a TofyError names what is
    wrong with it)."""
    return runs.read_config(runs.read_info(paths.runs_dir() / runs.check_run_id(run_id)))


class RunSettingsPicker(ModalScreen[str | None]):
    """Dismisses with a run id, or None to keep the form as it is."""

    DEFAULT_CSS = """
    RunSettingsPicker { align: center middle; }
    #settings-runs { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="run-settings.cancel")
    ]

    def __init__(self) -> None:
        super().__init__(id="run-settings")
        self.found = runs_with_settings()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            if not self.found:
                yield Static("No runs yet: train one first. Escape to go back.", markup=False)
                return
            yield Static(
                "Load a run's settings into the form — Enter to load, Escape to cancel",
                markup=False,
            )
            yield OptionList(
                *(Option(self._label(info), id=info.run_id) for info in self.found),
                id="settings-runs",
            )

    @staticmethod
    def _label(info: runs.RunInfo) -> Text:
        name = f" ({info.name})" if info.name and info.name != info.run_id else ""
        data = info.dataset or "built-in corpus"
        return Text(
            f"{info.run_id}{name} · {info.shown_status} · step {info.step:,}/{info.steps:,}"
            f" · {data}"
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
