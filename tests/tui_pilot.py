"""What the Pilot-driven TUI tests share: the terminal size, tiny settings that train in
seconds, and the small steps of a user's story (fill the form, wait, read a note or the log)."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import Static

from tofy_tui.screens.train import TrainScreen
from tofy_tui.widgets.event_log import EventLog
from tofy_tui.widgets.form_field import FormField

SIZE = (160, 50)
TINY = {
    "dim": "16",
    "layers": "1",
    "heads": "2",
    "batch": "4",
    "max_seq": "16",
    "log_every": "5",
    "eval_every": "10",
    "threads": "1",
}
REPO = Path(__file__).resolve().parents[1]


async def wait_until(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


def note(screen, name: str) -> str:
    """The note under a field ("" when it has none): drawn by the field until its editor is
    built, then a note widget built with its first text."""
    row = screen.query_one(f"#row-{name}", FormField)
    if not row.built:
        return row.note_text
    notes = row.query(".field-note").results(Static)
    shown = next(notes, None)
    return str(shown.render()) if shown is not None and shown.display else ""


async def editor(pilot, screen: TrainScreen, name: str):
    """A field's editor (Input or Select), focused: the field is focused as Tab or a click
    focuses it, which builds the editor in its place."""
    screen.query_one(f"#row-{name}", FormField).focus()
    await pilot.pause()
    return screen.query_one(f"#field-{name}")


def log_text(screen) -> str:
    return "\n".join(screen.query_one(EventLog).lines)


async def open_advanced(pilot, screen: TrainScreen) -> None:
    """Open the form's Advanced section from the keyboard, as a user does: its fields are
    built when it first opens."""
    screen.query_one("#advanced CollapsibleTitle").focus()
    await pilot.press("enter")
    await pilot.pause()


async def fill(pilot, screen: TrainScreen, **values: str) -> None:
    for name, value in values.items():
        screen.form.set_value(name, value)
    await pilot.pause()
