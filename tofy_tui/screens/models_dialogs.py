"""The Models screen's questions: a yes/no confirmation (delete, overwrite) and a small form
(rename, resume's step total, export folder, import files). Texts are shown literally."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DIALOG_CSS = """
ConfirmScreen, AskScreen { align: center middle; }
.dialog-box { width: 80; height: auto; border: thick $accent; background: $surface;
  padding: 1 2; }
.dialog-box Horizontal { height: auto; margin-top: 1; }
.dialog-box Button { margin-right: 2; }
.dialog-note { color: $warning; }
"""


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True for yes; Escape or n says no."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "dismiss(False)", "No", id="confirm.no"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, id="confirm-text", markup=False)
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AskScreen(ModalScreen[dict[str, str] | None]):
    """A few labelled fields; Enter in the last one (or OK) answers with their values."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="ask.cancel")
    ]

    def __init__(
        self, title: str, fields: list[tuple[str, str, str]], note: str = "", ok: str = "OK"
    ) -> None:
        """`fields`: (name, label, starting value) each."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.note = note
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, markup=False)
            if self.note:
                yield Static(self.note, classes="dialog-note", markup=False)
            for name, label, value in self.fields:
                yield Label(label, markup=False)
                yield Input(value, id=f"ask-{name}")
            with Horizontal():
                yield Button(self.ok, id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#ask-{name}", Input).value for name, _, _ in self.fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        at = inputs.index(event.input)
        if at + 1 < len(inputs):
            inputs[at + 1].focus()
        else:
            self.dismiss(self.values())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.values() if event.button.id == "ok" else None)
