"""The Models screen's comparison, saved as CSV with ctrl+s: the compared runs, the metric the
overlay shows and held-out top-10, every recorded value, in a file the notification names."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from models_runs import copy_runs, train_session_runs
from test_cli_metrics import recorded
from tui_pilot import SIZE, wait_until

from tofy_core import paths
from tofy_tui.app import TofyApp
from tofy_tui.screens.models import ModelsScreen
from tofy_tui.widgets.run_compare import RunCompare


@pytest.fixture
def two_runs(tmp_path_factory) -> Path:
    return copy_runs(train_session_runs(tmp_path_factory))


def notes(app: TofyApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_ctrl_s_saves_what_the_comparison_shows(two_runs):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: len(screen.shown) == 2, "two runs listed")
        await pilot.press("ctrl+s")  # nothing compared yet: said, nothing written
        await wait_until(pilot, lambda: "Nothing compared" in notes(app), "the hint")
        assert not (paths.data_dir() / "exports").exists()
        await pilot.press("space", "down", "space", "c")
        compare = screen.query_one(RunCompare)
        await wait_until(pilot, lambda: compare.drawn.get("metric") == 2, "two loss lines")
        await pilot.press("m")  # the next metric: what is shown is what is saved
        chosen = screen.metric
        assert chosen not in ("loss", "eval/top10")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Saved 2 runs'" in notes(app), "the saved note")
        found = re.search(r"to (/\S+\.csv)", notes(app))
        assert found, notes(app)
        saved = Path(found.group(1))
        assert saved.parent == (paths.data_dir() / "exports").resolve()
        rows = list(csv.DictReader(saved.open()))
    shown = {chosen, "eval/top10"}
    assert {r["metric"] for r in rows} == shown
    for run in ("alpha", "beta"):
        mine = {(r["metric"], int(r["step"])): float(r["value"]) for r in rows if r["run"] == run}
        assert mine == {k: v for k, v in recorded(two_runs / run).items() if k[0] in shown}
