"""One setting of the Train form: a label, an input (or a choice) and, once there is something
to say, a note under it that shows the field's error or a hint.

Three widgets a field (the row, its label, its input), laid out as a grid: the form has ~25
fields and each widget costs start-up time, so the note is only built when first needed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tofy_tui.form_settings import Field


class FormField(Widget):
    """A labelled input whose note line shows errors literally (no markup)."""

    def __init__(
        self,
        spec: Field,
        value: str,
        *,
        choices: tuple[str, ...] = (),
        suggester: Suggester | None = None,
        extra: Widget | None = None,
        placeholder: str = "",
    ) -> None:
        classes = "form-field -extra" if extra is not None else "form-field"
        super().__init__(id=f"row-{spec.name}", classes=classes)
        self.spec = spec
        self._value = value  # what the input holds until it is mounted (a Select reads blank)
        self._extra = extra
        self._shown: tuple[str, str, bool] = ("", "", False)
        self._note: Static | None = None
        self.control: Input | Select[str]
        if choices:
            self.control = Select(
                [(choice, choice) for choice in choices],
                value=value,
                allow_blank=False,
                compact=True,
                id=f"field-{spec.name}",
                tooltip=spec.help,
            )
        else:
            self.control = Input(
                value,
                placeholder=placeholder or (spec.help if spec.kind in ("data", "text") else ""),
                compact=True,
                suggester=suggester,
                id=f"field-{spec.name}",
                classes="-valid",  # as Textual marks it once built: no restyle then
                tooltip=spec.help,
            )

    def compose(self) -> ComposeResult:
        yield Label(self.spec.label, classes="field-label")
        yield self.control
        if self._extra is not None:
            yield self._extra

    def on_mount(self) -> None:
        self._show_note()  # a note decided before the field was built

    @property
    def value(self) -> str:
        if not self.control.is_mounted:
            return self._value
        return str(self.control.value)

    def set_value(self, value: str) -> None:
        self._value = value
        self.control.value = value

    def show(self, error: str = "", hint: str = "", warn: bool = False) -> None:
        """An error wins over a hint; an empty note takes no room."""
        shown = (error, hint, warn)
        if shown == self._shown:
            return
        self._shown = shown
        self.set_class(bool(error), "-error")
        self.set_class(bool(hint) and not error and warn, "-warn")
        self.control.set_class(bool(error), "-invalid")
        if self.is_mounted:
            self._show_note()

    def _show_note(self) -> None:
        error, hint, _ = self._shown
        text = error or hint
        if self._note is None:
            if not text:
                return  # nothing to say yet: no widget either
            self._note = Static(Text(text), classes="field-note", markup=False)
            self.mount(self._note)
        else:
            self._note.update(Text(text))
        self._note.display = bool(text)
