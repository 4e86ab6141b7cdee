"""The Watch picker (`w` on Train) lists the runs to watch or replay in the height the
terminal gives it: at 160×48 thirty runs show at once, at 80×24 the dialog still fits."""

from __future__ import annotations

import shutil

import pytest
from form_pilot import ready
from models_runs import train_session_runs

from tofy_core import paths
from tofy_tui.app import TofyApp
from tofy_tui.screens.watch import WatchScreen


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_watch_picker_uses_the_height_it_has(tmp_path_factory, size):
    finished = train_session_runs(tmp_path_factory) / "alpha"
    for number in range(30):
        shutil.copytree(finished, paths.runs_dir() / f"run-{number:02}")
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("escape", "w")
        await pilot.pause(0.3)
        assert isinstance(app.screen, WatchScreen)
        box = app.screen.query_one("#watch-box").region
        listed = app.screen.query_one("#watch-list").region
        assert box.y >= 0 and box.bottom <= size[1], box  # the whole dialog on screen
        if size[1] >= 48:
            assert listed.height >= 30, listed  # every run at once, not a 12-row window
