"""What the form and keys tests share: the notifications a user saw, the Train screen once
its form is there, and the text a screen shows."""

from __future__ import annotations

from tui_pilot import wait_until

from tofy_tui.app import TofyApp
from tofy_tui.screens.train import TrainScreen


def record_notes(monkeypatch) -> list[tuple[str, str]]:
    """Every notification the app shows from now on, as (text, severity)."""
    shown: list[tuple[str, str]] = []
    original = TofyApp.notify

    def record(self, message, *, title="", severity="information", timeout=None, markup=True):
        shown.append((f"{title}: {message}" if title else message, severity))
        original(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    monkeypatch.setattr(TofyApp, "notify", record)
    return shown


async def ready(pilot) -> TrainScreen:
    screen = pilot.app.screen
    await wait_until(pilot, lambda: isinstance(screen, TrainScreen) and screen.ready, "the form")
    await pilot.pause()
    return screen


def shown_text(screen) -> str:
    """The text of every Static on a screen, as a user reads it."""
    from rich.console import Console
    from textual.widgets import Static

    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()
