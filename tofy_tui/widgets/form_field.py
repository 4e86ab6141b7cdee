"""One setting of the Train form: a label, an input (or a choice) and a note under it that
shows the field's error, or a hint when there is one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tofy_tui.form_settings import Field


class FormField(Vertical):
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
        super().__init__(id=f"row-{spec.name}", classes="form-field")
        self.spec = spec
        self._value = value
        self._choices = choices
        self._suggester = suggester
        self._extra = extra
        self._placeholder = placeholder or (spec.help if spec.kind in ("data", "text") else "")
        self._shown: tuple[str, str, bool] = ("", "", False)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.spec.label, classes="field-label")
            if self._choices:
                yield Select(
                    [(choice, choice) for choice in self._choices],
                    value=self._value,
                    allow_blank=False,
                    compact=True,
                    id=f"field-{self.spec.name}",
                    tooltip=self.spec.help,
                )
            else:
                yield Input(
                    self._value,
                    placeholder=self._placeholder,
                    compact=True,
                    suggester=self._suggester,
                    id=f"field-{self.spec.name}",
                    classes="-valid",  # as Textual marks it once built: no restyle then
                    tooltip=self.spec.help,
                )
            if self._extra is not None:
                yield self._extra
        yield Static("", classes="field-note", markup=False)

    @property
    def value(self) -> str:
        widget = self.query_one(f"#field-{self.spec.name}")
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    def set_value(self, value: str) -> None:
        widget = self.query_one(f"#field-{self.spec.name}")
        widget.value = value  # type: ignore[attr-defined]

    def show(self, error: str = "", hint: str = "", warn: bool = False) -> None:
        """An error wins over a hint; an empty note takes no room."""
        shown = (error, hint, warn)
        if shown == self._shown:
            return
        self._shown = shown
        note = self.query_one(".field-note", Static)
        note.update(Text(error or hint))
        note.display = bool(error or hint)
        self.set_class(bool(error), "-error")
        self.set_class(bool(hint) and not error and warn, "-warn")
        widget = self.query_one(f"#field-{self.spec.name}")
        widget.set_class(bool(error), "-invalid")
