"""Focus a user can see: a letter never lands in a field a pane hides, the form opens with
its first field focused, and Tab reaches every pane of a screen. At 80×24 and 160×48."""

from __future__ import annotations

import pytest
from form_pilot import ready
from textual.widgets import Input

from tofy_tui.app import TofyApp
from tofy_tui.screens.train import TrainScreen

SMALL, LARGE = (80, 24), (160, 48)


def visible(widget) -> bool:
    """Drawn on the screen: every ancestor displayed and a region inside the screen."""
    node = widget
    while node is not None and node is not widget.screen:
        if not node.display:
            return False
        node = node.parent
    return widget.region.area > 0 and widget.screen.region.contains_region(widget.region)


async def test_a_field_hidden_by_the_monitor_never_takes_letters():
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        screen = await ready(pilot)
        data = screen.query_one("#field-data", Input)
        data.focus()
        await pilot.pause()
        before = data.value
        screen.watch_run("some-run")  # a run shown: at 80 columns the monitor takes the screen
        await pilot.pause()
        await pilot.pause()
        assert not screen.query_one("#form-pane").display
        assert screen.focused is None or visible(screen.focused)
        await pilot.press("2", "1")
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        assert app.screen.focused is None or visible(app.screen.focused)
        await pilot.press("m", "e")
        assert data.value == before


async def test_the_models_screen_gives_focus_to_its_table_only(monkeypatch):
    """Its filter is hidden until `/`: a key typed as the screen opens (`2` then Enter at
    once, a browser's page on a busy server) must reach the table, never the filter."""
    from tofy_tui.screens.models import ModelsScreen

    focused: list[str | None] = []
    set_focus = ModelsScreen.set_focus

    def record(self, widget, *args, **kwargs):
        focused.append(None if widget is None else widget.id)
        return set_focus(self, widget, *args, **kwargs)

    monkeypatch.setattr(ModelsScreen, "set_focus", record)
    app = TofyApp()
    async with app.run_test(size=LARGE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        assert set(focused) == {"runs"} and app.focused.id == "runs"


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_form_opens_on_its_first_field_and_tab_goes_field_to_field(size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        assert screen.focused is screen.query_one("#field-data", Input)
        shown = {k.key: k.description for k in screen.query_one("KeyFooter").keys}
        assert shown.get("s") == "Start"  # one key away, though the field shows focus
        await pilot.press("tab")
        await pilot.pause()
        focused = screen.focused
        assert focused is not None and focused.id in ("row-steps", "field-steps"), focused  # not …


async def test_screen_keys_at_launch_never_land_in_the_first_field():
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        screen = await ready(pilot)
        data = screen.query_one("#field-data", Input)
        before = data.value
        await pilot.press("2")
        assert type(app.screen).__name__ == "ModelsScreen"
        await pilot.press("1")
        assert app.screen is screen and data.value == before
        await pilot.press("tab", "shift+tab", *"a2")  # chosen by the user: every key is text
        assert data.value.endswith("a2") and app.screen is screen


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_models_footer_shows_its_main_keys_first(size):
    from tofy_tui.widgets.key_footer import KeyFooter

    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        placed, palette = app.screen.query_one(KeyFooter).placed()
        shown = [key.key for key in placed]
        assert shown[:4] == ["enter", "s", "slash", "space"], shown
        assert all(key.end <= palette.start for key in placed)
        if size == LARGE:
            assert {"c", "r", "x", "q", "question_mark", "d", "n", "e"} <= set(shown), shown


async def test_every_field_label_is_whole_and_apart_from_its_value():
    from tofy_tui.form_settings import FIELDS
    from tofy_tui.widgets.form_field import LABEL_WIDTH

    assert all(len(spec.label) < LABEL_WIDTH for spec in FIELDS)  # "Align weight" too
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        screen = await ready(pilot)
        drawn = screen.query_one("#row-steps").render().plain
        assert drawn.startswith("Steps") and drawn[LABEL_WIDTH - 1] == " "
