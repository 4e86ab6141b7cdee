"""The TUI driven by Pilot, headless: a user's stories from Start to a finished, stopped or
failed run, watching a run started elsewhere, and quitting while one trains.

Every test runs with its own TOFY_HOME (see conftest) and tiny models; no training child
outlives a test (the app stops its children when it exits)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Button, Static
from tui_pilot import REPO, SIZE, TINY, fill, log_text, wait_until

from tofy_core import paths
from tofy_core.errors import EXIT_INTERRUPTED
from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.messages import RunEnded, RunEvents
from tofy_tui.recent_data import recent_data
from tofy_tui.screens.quit import QuitScreen
from tofy_tui.screens.train import TrainScreen
from tofy_tui.screens.watch import WatchScreen
from tofy_tui.widgets.metric_plot import MetricPlot


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Tiny models train faster on one thread, and two cores stay shared with the UI."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


# ---------------------------------------------------------------- training


async def test_start_a_tiny_run_and_watch_it_finish(tiny_corpus):
    seen: list[str] = []

    def hook(message) -> None:
        if isinstance(message, RunEvents):
            seen.extend(event["event"] for event in message.events)
        elif isinstance(message, RunEnded):
            seen.append(f"ended:{message.end.status}")

    app = TofyApp()
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="20", name="tiny [b]run[/b]", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        assert screen.status == "starting"
        await wait_until(pilot, lambda: screen.status == "finished", "the run to finish")
        await pilot.pause(0.2)
        run_id = screen.watched_id
        assert run_id is not None
        info = runs.read_info(paths.runs_dir() / run_id)
        assert info.status == "finished" and info.step == 20
        assert info.name == "tiny [b]run[/b]"
        assert seen[0] == "start" and seen[-1] == "ended:finished"
        assert seen.index("end") < seen.index("ended:finished")
        for plot in screen.query(MetricPlot):
            assert plot.points > 0, plot.id
        assert "end: finished at step 20" in log_text(screen)
        assert f"probe it: 3 (the Diff screen), or `tofy diff {run_id}`" in log_text(screen)
        assert "step 20/20" in str(screen.query_one("#progress-line", Static).render())
        assert not screen.launcher.running()
        assert recent_data() == [str(tiny_corpus)]  # it trained: worth offering again
        assert runs.read_config(info).train.threads == 1  # the form's Threads reached it
        shown = next(line for line in log_text(screen).splitlines() if line.startswith("$ "))
        argv = shlex.split(shown[2:])  # pasteable: an executable first, then its arguments
        assert os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK)
        assert argv[1:4] == ["-m", "tofy_core", "train"]
        assert argv[argv.index("--threads") + 1] == "1" and argv[-1] == str(tiny_corpus)
        await pilot.press("2")
        assert app.screen.query_one("#runs").row_count == 1


async def test_stop_a_longer_run_and_see_it_stopped(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.click("#start")
        await wait_until(pilot, lambda: screen.history.last_step is not None, "first step")
        await pilot.press("x")
        # The stop is acknowledged at once; a loaded machine may let the trainer save and end
        # before the key press returns, so "stopping" may already be over: the note stays.
        assert "stop requested: the trainer finishes its step" in log_text(screen)
        assert screen.status in ("stopping", "stopped")
        await wait_until(pilot, lambda: screen.status == "stopped", "the stop")
        info = runs.read_info(paths.runs_dir() / screen.watched_id)
        assert info.status == "stopped" and 0 < info.step < 100000
        assert info.file(runs.STATE_FILE).is_file()
        assert "end: stopped" in log_text(screen)


async def test_a_child_that_fails_at_start_shows_its_error(tmp_path):
    words = tmp_path / "words.txt"  # readable text, so the form lets it through...
    words.write_text("hello\nthere\nfriend\n")  # ...but no phrase has two tokens
    app = TofyApp()
    async with app.run_test(size=(100, 40)) as pilot:  # narrow: the monitor takes over
        screen = app.screen
        await fill(pilot, screen, data=str(words), steps="5", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        assert not screen.query_one("#form-pane").display
        await wait_until(pilot, lambda: screen.status == "failed", "the failure")
        await pilot.press("f")
        assert screen.query_one("#form-pane").display
        error = str(screen.query_one("#run-error", Static).render())
        assert "has no usable line" in error
        assert screen.query_one("#run-error").display
        assert screen.query_one("#start", Button).disabled is False
    assert recent_data() == []  # data that failed is not offered again


def start_headless(run_id: str, data: Path, steps: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tofy_core", "train", str(data), "--steps", str(steps)]
    command += [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]
    return subprocess.Popen(
        [*command, "--run-id", run_id],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


async def test_watch_a_run_started_headless_elsewhere(tiny_corpus):
    process = start_headless("headless", tiny_corpus, 100000)
    try:
        app = TofyApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_until(
                pilot, lambda: any(r.run_id == "headless" for r in _live()), "the headless run"
            )
            await pilot.press("escape", "w")  # out of the first field, then Watch
            assert isinstance(app.screen, WatchScreen)
            await pilot.press("enter")
            assert screen.watched_id == "headless" and screen.child is None
            await wait_until(pilot, lambda: screen.history.last_step is not None, "its steps")
            assert screen.history.start is not None  # read from the beginning of the file
            assert not screen.query_one("#start", Button).disabled  # watching blocks nothing
            await pilot.press("x", "y")  # stop works on a run we did not start, once confirmed
            await wait_until(pilot, lambda: screen.status == "stopped", "the stop")
        assert process.wait(30) == EXIT_INTERRUPTED  # stopped and saved
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def _live():
    from tofy_tui.run_watch import pickable_runs  # what the Watch list shows, live ones first

    return [info for info in pickable_runs() if info.is_live]


# ---------------------------------------------------------------- quitting


async def test_quit_while_training_can_leave_the_run_going(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        child = screen.child
        await pilot.press("ctrl+c")  # nothing selected to copy: Ctrl+C asks like q
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TrainScreen) and child.running
        await pilot.press("q", "l")
    try:
        assert child.running, "the user asked to leave it running"
    finally:
        child.stop()
        child.wait(30)


async def test_quit_while_training_can_stop_the_run_first(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        child = screen.child
        await wait_until(pilot, lambda: screen.history.last_step is not None, "first step")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("s")
        await wait_until(pilot, lambda: not child.running, "the child to stop", 30)
    assert child.poll() == EXIT_INTERRUPTED
    assert runs.read_info(child.run_dir).status == "stopped"


async def test_leaving_the_app_any_other_way_stops_the_child(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        child = screen.child
        assert child.running
    app.launcher.shutdown()  # as main() does after the app: wait for the stop it began
    assert not child.running  # the app's exit stopped it, whatever it was doing
    assert child.stop_sent  # by SIGINT first: it saves
