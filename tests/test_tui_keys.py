"""Keys and focus on the Train screen as a user meets them: the focused field is marked in
both themes, Tab stops only on what can be used, letters typed into a field stay text, and
the keys that would do something surprising (Start while training, Stop on someone else's
run, Help, Quit) say what they do first.

Every test runs with its own TOFY_HOME (see conftest)."""

from __future__ import annotations

import pytest
from form_pilot import ready, record_notes, shown_text
from textual.widgets import Button, Input
from tui_pilot import SIZE, editor

from tofy_tui.app import TofyApp
from tofy_tui.form_settings import FIELD_NAMES
from tofy_tui.screens.train import TrainScreen


@pytest.fixture
def notes(monkeypatch):
    return record_notes(monkeypatch)


async def test_the_focused_field_is_marked_in_both_themes():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await editor(pilot, screen, "batch")  # both fields with their editors built
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await editor(pilot, screen, "steps")
            focused = screen.query_one("#row-steps .field-label").styles
            other = screen.query_one("#row-batch .field-label").styles
            assert focused.color != other.color, theme
            focused_input = screen.query_one("#field-steps", Input).styles.background
            assert focused_input != screen.query_one("#field-batch", Input).styles.background


USABLE = ("Input", "Select", "Button", "CollapsibleTitle", "RichLog", "Log", "DataTable")


async def walk_tab(pilot, screen, limit: int = 80) -> list:
    """Press Tab until focus comes back round; every stop must be seen on the screen."""
    stops = []
    for _ in range(limit):
        await pilot.press("tab")
        await pilot.pause()
        widget = screen.focused
        assert widget is not None
        if widget in stops:
            return stops
        kinds = {cls.__name__ for cls in type(widget).__mro__}
        assert kinds & set(USABLE), f"tab stop {widget!r} is not a field, button or log"
        region = widget.region
        assert region.area > 0 and screen.region.contains_region(region), widget
        stops.append(widget)
    raise AssertionError("Tab never came back round")


async def test_tab_stops_are_visible_usable_widgets_and_reach_every_field():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        stops = await walk_tab(pilot, screen)
        assert screen.form not in stops  # the form's pane is no stop of its own
        title = next(w for w in stops if type(w).__name__ == "CollapsibleTitle")
        title.focus()
        await pilot.press("enter")  # Advanced opens: its fields join the walk
        stops = await walk_tab(pilot, screen)
        reached = {w.id.removeprefix("field-") for w in stops if w.id}
        assert set(FIELD_NAMES) <= reached


async def test_letters_typed_into_a_field_are_text_not_shortcuts():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        screen.query_one("#row-name").focus()  # as Tab does: the keys come as it builds
        await pilot.press(*"qswxof", "question_mark", "1", "2", "3")
        name = screen.query_one("#field-name", Input)
        assert name.value == "qswxof?123"
        assert app.is_running and app.screen is screen
        assert not screen.launcher.children and screen.status == "idle"


async def test_start_while_a_run_trains_says_why(notes):
    import sys

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
        screen.watch_run("busy-run", app.launcher.start(sleeper, "busy-run"))
        await pilot.pause()
        screen.query_one("#watch", Button).focus()
        await pilot.press("s")
        assert any("already training" in text for text, _ in notes), notes


async def test_stopping_a_run_started_elsewhere_asks_first(monkeypatch):
    from tofy_tui.run_watch import WatchedRun
    from tofy_tui.screens.models_dialogs import ConfirmScreen

    stopped: list[str] = []
    monkeypatch.setattr(WatchedRun, "stop", lambda self: stopped.append(self.run_id) or True)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await screen.show_monitor()
        screen.watched = WatchedRun("theirs")  # watched, not our child
        screen.query_one("#watch", Button).focus()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "started elsewhere" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press("n")
        assert app.screen is screen and stopped == []
        await pilot.press("x", "y")
        assert stopped == ["theirs"]
        screen.watched = None


async def test_help_says_how_to_close_it_and_lists_this_screens_keys():
    from tofy_tui.screens.help import HelpScreen

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("escape", "question_mark")  # out of the first field
        assert isinstance(app.screen, HelpScreen)
        text = shown_text(app.screen)
        assert "Escape, ? or q closes this help" in text
        assert "Load settings" in text and "Quit" in text
        assert "Sort" not in text  # the Models screen's keys are not Train's
        await pilot.press("q")
        assert isinstance(app.screen, TrainScreen) and app.is_running
        await pilot.press("escape", "2", "question_mark")
        text = shown_text(app.screen)
        assert "Sort" in text and "Load settings" not in text and "closes this help" in text


async def test_the_quit_dialog_shows_its_keys_and_that_the_form_is_kept():
    from tofy_tui.screens.quit import QuitScreen

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        answers = []
        app.push_screen(QuitScreen(["r1"]), answers.append)
        await pilot.pause()
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Stop and quit (s)", "Leave running (l)", "Cancel (Esc)"]
        assert "kept for next time" in shown_text(app.screen)
        await pilot.press("escape")
        assert answers == ["cancel"]
