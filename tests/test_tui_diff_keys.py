"""The Diff screen's keys as a user meets them at 80×24 and 160×48: typing on a list goes to
the query (a `q` or `e` mid-sentence neither quits nor exports), the query line clears after a
query (↑ brings it back), no stale answer stays under an error or another model, quitting asks
while queries would be lost, Tab reaches the word list, and the footer shows the main keys."""

from __future__ import annotations

import pytest
from form_pilot import ready
from test_tui_diff import QUERY, home  # noqa: F401  (the module's trained model)
from textual.widgets import Input
from tui_pilot import wait_until

from tofy_tui.app import TofyApp
from tofy_tui.screens.diff import DiffScreen
from tofy_tui.screens.models_dialogs import ConfirmScreen
from tofy_tui.widgets.answer_card import AnswerCard
from tofy_tui.widgets.diff_history import HistoryPanel
from tofy_tui.widgets.key_footer import KeyFooter
from tofy_tui.widgets.neighbour_list import NeighbourList

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def at_home(home, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TOFY_HOME", str(home))
    return home


async def open_diff(pilot, app) -> DiffScreen:
    await ready(pilot)
    await pilot.press("3")
    screen = app.screen
    assert isinstance(screen, DiffScreen)
    await wait_until(pilot, lambda: screen.prober is not None, "the model to load")
    return screen


def cards(screen) -> list[str]:
    """The answers whose cards are shown."""
    return [card.result.answer for card in screen.query(AnswerCard) if card.display]


async def type_query(pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text), "enter")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_typing_on_the_word_list_goes_to_the_query_and_never_quits(at_home, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(pilot, app)
        line = screen.query_one("#diff-input", Input)
        await type_query(pilot, "erin drinks hot _ => tea")
        assert line.value == ""  # cleared for the next query
        await pilot.press("up")
        assert line.value == "erin drinks hot _ => tea"  # and brought back
        await pilot.press("escape")
        assert screen.focused is screen.query_one(NeighbourList)
        await pilot.press("enter")  # a word asked as the answer
        await pilot.pause()
        assert len(screen.entries) == 2
        await pilot.press(*"quite e")
        assert app.is_running and app.screen is screen
        assert line.value == "quite e" and screen.focused is line


@pytest.mark.parametrize("size", SIZES)
async def test_a_failed_query_and_a_new_model_leave_no_stale_card(at_home, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(pilot, app)
        await type_query(pilot, QUERY)
        assert sorted(cards(screen)) == ["pears", "tea"]
        await type_query(pilot, "erin drinks hot _ => zzzunknown")
        assert "zzzunknown" in str(screen.query_one("#diff-hint").render())
        assert cards(screen) == [] and not screen.query_one(NeighbourList).words
        await pilot.press("ctrl+u")  # the failed query stays in the line, to be fixed
        await type_query(pilot, QUERY)
        assert sorted(cards(screen)) == ["pears", "tea"]
        screen.open_model("live")
        await wait_until(pilot, lambda: screen.prober.label == "live", "the other model")
        assert cards(screen) == []


async def test_quitting_asks_while_diff_queries_would_be_lost(at_home, tmp_path):
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diff(pilot, app)
        await type_query(pilot, QUERY)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 query" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press("n")
        assert app.is_running and app.screen is screen
        await pilot.press("1", "ctrl+q")  # from another screen too
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n", "3")
        screen.export(tmp_path / "asked.jsonl")
        await pilot.press("ctrl+q")
    assert app.return_code == 0  # exported: nothing to lose, no question


@pytest.mark.parametrize("size", SIZES)
async def test_tab_reaches_the_word_list_and_the_footer_shows_the_main_keys(at_home, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(pilot, app)
        await type_query(pilot, QUERY)
        stops = []
        for _ in range(6):
            await pilot.press("tab")
            stops.append(screen.focused)
        assert screen.query_one(NeighbourList) in stops
        assert screen.query_one(HistoryPanel) in stops or size[0] <= 100
        screen.query_one("#diff-input").focus()
        await pilot.pause()
        placed, _ = screen.query_one(KeyFooter).placed()
        shown = {key.key for key in placed}
        assert {"escape", "up", "ctrl+o"} <= shown, shown
        if size[0] >= 160:
            assert {"ctrl+s", "ctrl+n", "ctrl+r", "ctrl+b"} <= shown, shown


@pytest.mark.parametrize("size", SIZES)
async def test_three_answers_fit_the_width_with_the_neighbours_in_view(at_home, size):
    from tofy_tui.widgets.gauge import Gauge

    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(pilot, app)
        await type_query(pilot, "erin drinks hot _ => tea, the, you")
        hint = screen.query_one("#diff-hint")
        await pilot.pause()
        assert len(screen.last.results) == 3, (screen.last.results, cards(screen), hint.render())
        await wait_until(pilot, lambda: len(cards(screen)) == 3, "3 cards")
        await pilot.pause()
        shown = [card for card in screen.query(AnswerCard) if card.display]
        for gauge in screen.query(Gauge):  # one line each, the value at its end
            assert gauge.region.height == 1
            line = gauge.render().plain
            assert line.startswith(("cosine ", "L2 unit ")) and f"{gauge.value:.4f}" in line
            assert len(line) <= gauge.region.width, line
        neighbours = screen.query_one(NeighbourList)
        assert neighbours.region.height >= 3 and screen.region.contains_region(neighbours.region)
        side = screen.query_one("#diff-side")
        if size[0] <= 100:
            assert len({card.region.x for card in shown}) == 1  # stacked, one per row
            assert all(card.region.width >= 60 for card in shown)
            assert not side.display
            await pilot.press("ctrl+g")  # the history, on demand
            assert side.display
        else:
            assert side.display
