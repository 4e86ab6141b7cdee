"""The Models screen and a run training in another terminal: it appears by itself with live
steps, cannot be deleted while it trains, stops on x, and resumes on r into the Train
monitor, where it continues to its new total."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, TINY_MODEL_ARGS
from test_tui_models import answer, notes, open_models, select
from tui_pilot import SIZE, wait_until

from tofy_core import paths
from tofy_core.errors import EXIT_INTERRUPTED
from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.screens.train import TrainScreen


async def test_a_run_from_elsewhere_appears_stops_and_resumes(tiny_corpus):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "tofy_core", "train", *TINY_MODEL_ARGS, "--max-seq", "16",
        "--steps", "100000", "--log-every", "5", "--eval-every", "100000", "--run-id", "live",
        "--", str(tiny_corpus),
    ]  # fmt: skip
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 0)
        trainer = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            await wait_until(
                pilot,
                lambda: [(s.status, s.step > 0) for s in screen.shown] == [("running", True)],
                "the other terminal's run listed with live steps",
            )
            await select(pilot, screen, "live")
            await pilot.press("d")
            assert "still training" in notes(app)
            assert (paths.runs_dir() / "live").is_dir()
            await pilot.press("x", "y")  # started elsewhere: stopping it asks first
            await wait_until(pilot, lambda: screen.shown[0].status == "stopped", "it stopped")
            assert trainer.wait(30) == EXIT_INTERRUPTED  # stopped and saved
        finally:
            if trainer.poll() is None:
                trainer.kill()
                trainer.wait()
        stopped_at = screen.shown[0].step
        await pilot.press("r")
        await answer(pilot, app, steps=str(stopped_at + 10))
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen), "the monitor")
        train = app.screen
        assert train.watched_id == "live"
        await wait_until(pilot, lambda: train.status == "finished", "the resumed run to finish")
        info = runs.open_run("live")
        assert info.status == "finished" and info.step == stopped_at + 10
