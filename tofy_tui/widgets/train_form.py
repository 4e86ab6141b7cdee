"""The Train form: every training setting, checked as you type with the engine's rules."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select

from tofy_core.config import DEVICES
from tofy_tui.settings import DEFAULTS, FIELDS, FormCheck, check_form, recent_data
from tofy_tui.widgets.form_field import FormField


class TrainForm(VerticalScroll):
    """Fields for a training run; posts `Checked` after every change."""

    class Checked(Message):
        def __init__(self, check: FormCheck, values: dict[str, str]) -> None:
            super().__init__()
            self.check = check
            self.values = values

    def __init__(self, values: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._initial = {**DEFAULTS, **(values or {})}
        self.check: FormCheck = check_form(self._initial)
        self._data_hint: tuple[str, bool] = ("", False)
        self._checked: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        for spec in FIELDS:
            if spec.name == "data":
                browse = Button("…", id="browse", compact=True, tooltip="pick a data file (o)")
                suggester = SuggestFromList(recent_data(), case_sensitive=True)
                yield FormField(spec, self._initial["data"], suggester=suggester, extra=browse)
            elif spec.name == "device":
                yield FormField(spec, self._initial["device"], choices=DEVICES)
            else:
                yield FormField(spec, self._initial[spec.name])

    def on_mount(self) -> None:
        self._recheck()

    def values(self) -> dict[str, str]:
        return {field.spec.name: field.value for field in self.query(FormField)}

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#row-{name}", FormField).set_value(value)

    def reset(self) -> None:
        for name, value in DEFAULTS.items():
            self.set_value(name, value)

    def show_data_hint(self, message: str, error: bool) -> None:
        """What a worker found out about the data source (cached? reachable? size)."""
        self._data_hint = (message, error)
        self._show_data_note()

    def _show_data_note(self) -> None:
        row = self.query_one("#row-data", FormField)
        message, error = self._data_hint
        row.show(self.check.errors.get("data", ""), message, warn=error)

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        if event.control.id == "field-data":
            self._data_hint = ("", False)
        self._recheck()

    def _recheck(self) -> None:
        values = self.values()
        if values == self._checked:
            return  # inputs report their first value on mount: nothing changed
        self._checked = values
        self.check = check_form(values)
        for field in self.query(FormField):
            if field.spec.name == "data":
                continue
            field.show(self.check.errors.get(field.spec.name, ""))
        self._show_data_note()
        self.post_message(self.Checked(self.check, values))
