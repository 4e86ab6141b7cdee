"""Pick the model the Diff screen probes: a run with saved weights, or a weights file (Tofy's
or the seed's `model_latent.safetensors`) typed as a path."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tofy_core.runs import folders as runs


def probeable_runs() -> list[runs.RunInfo]:
    """Runs with saved weights, newest first."""
    return [info for info in runs.list_runs() if info.file(runs.MODEL_FILE).is_file()]


class ModelPicker(ModalScreen[str | None]):
    """Dismisses with a run id or a file path, or None to keep the current model."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="model-picker.cancel")
    ]

    def compose(self) -> ComposeResult:
        options = [
            Option(
                Text(f"{info.run_id}  {info.name}  {info.shown_status}  step {info.step:,}"),
                id=info.run_id,
            )
            for info in probeable_runs()
        ]
        with Vertical(id="picker-box"):
            yield Static("Runs with saved weights — Enter to probe", markup=False)
            yield OptionList(*options, id="model-runs")
            yield Static("…or a weights file (.safetensors, the vocab beside it):", markup=False)
            yield Input(placeholder="path/to/model_latent.safetensors", id="model-path")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
