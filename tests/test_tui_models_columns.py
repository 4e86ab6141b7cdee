"""The Models table at 80×24 and 160×48: the columns that matter come first (name, status,
step, loss, top-10; data and created give way), and runs that share a name can be told
apart by their id."""

from __future__ import annotations

import json

import pytest
from form_pilot import ready
from test_tui_models import open_models, two_runs  # noqa: F401  (the session's runs)

from tofy_tui.app import TofyApp


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_main_columns_first_and_repeated_names_show_their_id(two_runs, size):  # noqa: F811
    info = json.loads((two_runs / "beta" / "run.json").read_text())
    info["name"] = "alpha"  # two runs named alike, as an older `tofy train` allowed
    (two_runs / "beta" / "run.json").write_text(json.dumps(info))
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("2")
        screen = await open_models(pilot, app, 2)
        titles = [str(column.label) for column in screen.table.ordered_columns][1:]
        assert titles[:5] == ["name", "status", "step", "loss", "top-10"], titles
        assert titles.index("data") > titles.index("size")
        visible = screen.table.region.width
        widths = [column.get_render_width(screen.table) for column in screen.table.ordered_columns]
        main = 5 if size[0] <= 80 else 6  # beside the detail pane: name to loss at 80 columns
        assert sum(widths[:main]) <= visible, (widths, visible)
        cells = {row_key: screen.table.get_row(row_key)[1].plain for row_key in ("alpha", "beta")}
        assert cells["alpha"] != cells["beta"], cells
        assert "beta" in cells["beta"]  # its id, since the name does not tell them apart


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


async def test_an_empty_models_screen_says_how_to_train_one():
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause(0.5)
        status = str(app.screen.query_one("#models-status").render())
        assert "No runs yet" in status and "tofy train" in status
