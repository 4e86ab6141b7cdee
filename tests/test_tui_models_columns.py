"""The Models table at 80×24 and 160×48: the columns that fit its width, by priority (name,
status, step, loss, top-10 first; data and created give way), all on screen at once; runs that
share a name can be told apart by an id column; `s` sorts only by columns on screen. And the
smaller things: no `.lock` in a run's files, the cursor stays put after a delete, an empty list
says how to train a run."""

from __future__ import annotations

import json
import shutil

import pytest
from form_pilot import ready
from test_tui_models import open_models, two_runs  # noqa: F401  (the session's runs)
from tui_pilot import wait_until

from tofy_tui.app import TofyApp
from tofy_tui.run_list import COLUMNS
from tofy_tui.screens.models_dialogs import ConfirmScreen


def titles(screen) -> list[str]:
    return [str(column.label) for column in screen.table.ordered_columns][1:]


def fits(screen) -> bool:
    """Every column shown whole: none reaches past the table's edge, nothing scrolls."""
    table = screen.table
    widths = [column.get_render_width(table) for column in table.ordered_columns]
    return sum(widths) <= table.room and table.max_scroll_x == 0


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_columns_that_fit_by_priority_and_repeated_names_get_an_id_column(
    two_runs,  # noqa: F811
    size,
):
    for run, name in (("alpha", "wikitext-small-d128-warmup"), ("beta", "alpha")):
        info = json.loads((two_runs / run / "run.json").read_text())
        info["name"] = name
        (two_runs / run / "run.json").write_text(json.dumps(info))
    (two_runs / "gamma").mkdir()  # a third run named as beta: an older `tofy train` allowed it
    (two_runs / "gamma" / "run.json").write_text('{"name": "alpha", "status": "failed"}')
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("2")
        screen = await open_models(pilot, app, 3)
        await pilot.pause(0.3)
        shown = titles(screen)
        assert shown[:6] == ["name", "id", "status", "step", "loss", "top-10"], shown
        assert fits(screen), shown
        if size[0] >= 160:  # the wide table also has what a run is; the detail pane beside
            assert {"params", "dim/L/H"} <= set(shown), shown
        else:  # the data path and the creation time gave way first
            assert "data" not in shown and "created" not in shown, shown
        ids = {key: screen.table.get_row(key)[2].plain for key in ("beta", "gamma")}
        assert ids == {"beta": "beta", "gamma": "gamma"}, ids
        sorted_by = set()
        for _ in range(len(shown) + 2):  # `s` goes round the columns on screen only
            await pilot.press("s")
            sorted_by.add(COLUMNS[screen.sort_column].title)
        assert sorted_by == set(shown) - {"id"}, (sorted_by, shown)
        if size[0] <= 80:  # ← brings the detail pane, its room taken from the columns; → not
            await pilot.press("left")
            await pilot.pause(0.3)
            narrower = titles(screen)
            assert screen.query_one("#detail").display
            assert narrower[:6] == shown[:6] and fits(screen), narrower
            await pilot.press("right")
            await pilot.pause(0.3)
            assert titles(screen) == shown


async def test_the_file_list_leaves_out_the_lock_and_an_empty_list_says_how_to_train(
    two_runs,  # noqa: F811
):
    from tofy_tui.widgets.run_detail import detail_text

    (two_runs / "alpha" / ".lock").write_text("12345")
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        screen = await open_models(pilot, app, 2)
        alpha = next(s for s in screen.shown if s.run_id == "alpha")
        text = detail_text(alpha).plain
        assert "model.safetensors" in text and ".lock" not in text


async def test_after_a_delete_the_cursor_stays_where_the_run_was(two_runs):  # noqa: F811
    for copy in ("gamma", "delta"):
        shutil.copytree(two_runs / "alpha", two_runs / copy)
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        screen = await open_models(pilot, app, 4)
        screen.table.move_cursor(row=2)
        await pilot.pause()
        gone, below = screen.shown[2].run_id, screen.shown[3].run_id
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.shown) == 3, "the run gone from the list")
        assert not (two_runs / gone).exists()
        assert screen.table.cursor_row == 2 and screen.selected.run_id == below


async def test_an_empty_models_screen_says_how_to_train_one():
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause(0.5)
        status = str(app.screen.query_one("#models-status").render())
        assert "No runs yet" in status and "tofy train" in status
