"""Asked on quit while a training child runs: stop it (it saves), leave it, or stay. Each
choice shows its key; the form's settings are kept whatever the answer."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[str]):
    """Dismisses with "stop", "leave" or "cancel"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel", id="quit.cancel"),
        Binding("s", "choose('stop')", "Stop and quit", id="quit.stop"),
        Binding("l", "choose('leave')", "Leave running", id="quit.leave"),
    ]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__(id="quit-dialog")
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        names = ", ".join(self.run_ids)
        with Vertical(id="quit-box"):
            yield Static(
                Text(
                    f"Training is running ({names}).\n\n"
                    "Stop it (it saves and ends as stopped; resume later), or leave it running "
                    "in the background (watch it again with w)?\n\n"
                    "The form's settings are kept for next time either way."
                ),
                id="quit-text",
            )
            with Horizontal(id="quit-buttons"):
                yield Button("Stop and quit (s)", id="stop", variant="error")
                yield Button("Leave running (l)", id="leave", variant="warning")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
