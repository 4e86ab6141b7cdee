"""The Train form: every training setting, checked as you type with the engine's rules."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select

from tofy_core.config import default_threads
from tofy_tui.form_settings import (
    DEFAULTS,
    FIELDS,
    FormCheck,
    check_form,
    field_hints,
    preset_values,
)
from tofy_tui.recent_data import recent_data
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
        self._late: dict[str, str] = {}  # errors found by workers (the device check)
        self._preset = self._initial["preset"]
        self._checked: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        for spec in FIELDS:
            value = self._initial[spec.name]
            if spec.name == "data":
                browse = Button("…", id="browse", compact=True, tooltip="pick a data file (o)")
                suggester = SuggestFromList(recent_data(), case_sensitive=True)
                yield FormField(spec, value, suggester=suggester, extra=browse)
            elif spec.choices:
                yield FormField(spec, value, choices=spec.choices)
            elif spec.name == "threads":
                yield FormField(spec, value, placeholder=f"auto ({default_threads()})")
            else:
                yield FormField(spec, value)

    def on_mount(self) -> None:
        self._recheck()

    def values(self) -> dict[str, str]:
        return {field.spec.name: field.value for field in self.query(FormField)}

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#row-{name}", FormField).set_value(value)

    def show_data_hint(self, message: str, error: bool) -> None:
        """What a worker found out about the data source (cached? reachable? size)."""
        self._data_hint = (message, error)
        self._show_data_note()

    def show_late_error(self, name: str, message: str) -> None:
        """A problem a worker found with a field (the device: is there a CUDA GPU?); empty
        clears it. It blocks Start like any other error until the field changes."""
        if message:
            self._late[name] = message
        else:
            self._late.pop(name, None)
        self._show_notes()

    def problems(self) -> dict[str, str]:
        """Every reason the form cannot start a run now, by field: its checks, the workers'."""
        found = {**self._late, **self.check.errors}
        message, error = self._data_hint
        if error and "data" not in found:
            found["data"] = message
        return found

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
        elif event.control.id == "field-preset":
            self._apply_preset(str(event.value))
        self._recheck()

    def _apply_preset(self, name: str) -> None:
        """Choosing a preset fills the sizes and schedule; the other fields stay as they are."""
        if name == self._preset:
            return  # the choice reporting its value on mount, or no change
        self._preset = name
        for field_name, value in preset_values(name).items():
            self.set_value(field_name, value)

    def check_now(self) -> FormCheck:
        """Check the fields again even if none changed (a data file may have changed since)."""
        self._recheck(force=True)
        return self.check

    def _recheck(self, force: bool = False) -> None:
        values = self.values()
        if values == self._checked and not force:
            return  # inputs report their first value on mount: nothing changed
        if self._checked is not None:
            for name in list(self._late):
                if values.get(name) != self._checked.get(name):
                    del self._late[name]  # the field changed: its worker checks again
        self._checked = values
        self.check = check_form(values)
        self._show_notes()
        self.post_message(self.Checked(self.check, values))

    def _show_notes(self) -> None:
        hints = field_hints(self._checked or {})
        for field in self.query(FormField):
            name = field.spec.name
            if name != "data":
                error = self.check.errors.get(name) or self._late.get(name, "")
                field.show(error, hints.get(name, ""))
        self._show_data_note()
