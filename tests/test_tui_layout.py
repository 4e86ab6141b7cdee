"""Small and large terminals: at 80×24 the footer fits and keeps the keys that matter, Tab
reaches every field of the Train form (scrolled into view), and a replayed run's plots keep
their titles and a readable size (fewer of them rather than empty boxes); at 200×60 the same
screen shows the form and more plots side by side."""

from __future__ import annotations

import pytest
from models_runs import copy_runs, train_session_runs
from textual.widgets import Input, Select
from textual.widgets._collapsible import Collapsible, CollapsibleTitle
from tui_pilot import wait_until

from tofy_tui.app import TofyApp
from tofy_tui.form_settings import FIELD_NAMES
from tofy_tui.widgets.key_footer import FooterKey, KeyFooter
from tofy_tui.widgets.metric_plot import MetricPlot

SMALL = (80, 24)
LARGE = (200, 60)


def footer_keys(screen) -> tuple[list[FooterKey], FooterKey]:
    """The keys the footer draws at this width, and the palette's key; the keys left out
    (they stay in ? and the palette) come after every key drawn, by the screen's priority."""
    footer = screen.query_one(KeyFooter)
    keys, palette = footer.placed()
    assert palette is not None
    assert [key.key for key in footer.keys[: len(keys)]] == [key.key for key in keys]
    return keys, palette


async def test_at_80x24_every_footer_fits_and_keeps_start_stop_screens_help_and_quit():
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.screen.ready, "the form")
        for mode in ("1", "2", "3"):
            await pilot.press("escape", mode)  # out of any field, so keys are keys
            await pilot.pause(0.2)
            keys, palette = footer_keys(app.screen)
            for key in keys:  # all drawn left of the palette key: none cut off
                assert key.end <= palette.start, (
                    f"{app.screen.SUB_TITLE}: {key.description!r} does not fit"
                )
            if mode == "1":
                shown = {key.key: key.description for key in keys}
                for key in ("s", "x", "1", "2", "3", "question_mark", "q"):
                    assert key in shown, f"{key} missing from the Train footer: {shown}"
                assert shown["s"] == "Start" and shown["q"] == "Quit"


async def test_a_click_on_a_footer_key_presses_it_and_typing_shows_the_keys_that_work():
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.screen.ready, "the form")
        keys, _ = footer_keys(app.screen)
        models = next(key for key in keys if key.key == "2")
        await pilot.click(KeyFooter, offset=(models.start + 1, 0))
        await pilot.pause()
        assert app.screen.SUB_TITLE == "Models"
        sort = next(key for key in footer_keys(app.screen)[0] if key.key == "s")
        before = app.screen.sort_column
        await pilot.click(KeyFooter, offset=(sort.start + 1, 0))  # Models' own keys come first
        await pilot.pause()
        assert app.screen.sort_column != before  # it sorted by the next column
        await pilot.press("1")
        assert app.screen.SUB_TITLE == "Train"
        await pilot.click("#field-data")  # typing: letters are text, not keys
        await pilot.pause()
        shown = {key.key: key.description for key in app.screen.query_one(KeyFooter).keys}
        assert not set(shown) & {"s", "x", "q", "1"}, shown
        assert shown["ctrl+r"] == "Start" and shown["ctrl+q"] == "Quit"  # what still works


async def test_tab_reaches_every_field_of_the_form_at_80x24_and_scrolls_it_into_view():
    app = TofyApp()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.ready, "the form")
        form = screen.form
        reached: set[str] = set()
        for _ in range(4 * len(FIELD_NAMES)):
            await pilot.press("tab")
            focused = app.focused
            if isinstance(focused, CollapsibleTitle):
                section = focused.parent
                if isinstance(section, Collapsible) and section.collapsed:
                    await pilot.press("enter")  # the Advanced section opens from the keyboard
                continue
            if isinstance(focused, Input | Select) and (focused.id or "").startswith("field-"):
                await pilot.pause()
                region = focused.region
                assert region.height > 0 and form.region.contains_region(region), (
                    f"{focused.id} is focused but not in view"
                )
                reached.add(focused.id.removeprefix("field-"))
            if reached == set(FIELD_NAMES):
                break
        assert reached == set(FIELD_NAMES), f"never reached: {set(FIELD_NAMES) - reached}"


@pytest.fixture(scope="module")
def session_runs(tmp_path_factory):
    return train_session_runs(tmp_path_factory)


async def replayed_plots(size: tuple[int, int]) -> tuple[list[MetricPlot], bool]:
    """Replay a finished run on a terminal of `size`: its shown plots, and whether the form
    is still beside the monitor."""
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.ready, "the form")
        await pilot.press("escape", "w")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.status in ("finished",), "the replay")
        await wait_until(
            pilot, lambda: any(p.points for p in screen.query(MetricPlot)), "the curves"
        )
        await pilot.pause(0.3)
        shown = [p for p in screen.query(MetricPlot).results(MetricPlot) if p.display]
        for plot in shown:
            assert plot.title.strip(), f"{plot.id} has no title"
            assert plot.size.width >= 30 and plot.size.height >= 6, (
                f"{plot.id} ({plot.title}) is squeezed to {plot.size}"
            )
            assert screen.region.contains_region(plot.region)
        return shown, bool(screen.query_one("#form-pane").display)


async def test_replayed_plots_keep_their_titles_on_80x24_and_spread_out_on_200x60(session_runs):
    copy_runs(session_runs)
    small, form_beside_small = await replayed_plots(SMALL)
    large, form_beside_large = await replayed_plots(LARGE)
    assert 1 <= len(small) < len(large)  # fewer plots on a small terminal, none squeezed
    assert not form_beside_small  # the monitor takes the width (f brings the form back)
    assert form_beside_large
