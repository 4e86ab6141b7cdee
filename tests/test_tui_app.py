"""The TUI driven by Pilot, headless: a user's stories from launch to a finished run.

Every test runs with its own TOFY_HOME (see conftest) and tiny models; no training child
outlives a test (the app stops its children when it exits)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from tofy_core import paths, runs
from tofy_core.errors import EXIT_INTERRUPTED
from tofy_tui.app import TofyApp
from tofy_tui.messages import RunEnded, RunEvents
from tofy_tui.screens.diff import DiffScreen
from tofy_tui.screens.help import HelpScreen
from tofy_tui.screens.models import ModelsScreen
from tofy_tui.screens.quit import QuitScreen
from tofy_tui.screens.train import TrainScreen
from tofy_tui.screens.watch import WatchScreen
from tofy_tui.settings import recent_data
from tofy_tui.widgets.event_log import EventLog
from tofy_tui.widgets.metric_plot import MetricPlot

SIZE = (160, 50)
TINY = {
    "dim": "16",
    "layers": "1",
    "heads": "2",
    "batch": "4",
    "max_seq": "16",
    "log_every": "5",
    "eval_every": "10",
    "threads": "1",
}
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Tiny models train faster on one thread, and two cores stay shared with the UI."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


async def wait_until(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


def note(screen, name: str) -> str:
    return str(screen.query_one(f"#row-{name} .field-note", Static).render())


def log_text(screen) -> str:
    return "\n".join(screen.query_one(EventLog).lines)


async def fill(pilot, screen: TrainScreen, **values: str) -> None:
    for name, value in values.items():
        screen.form.set_value(name, value)
    await pilot.pause()


@pytest.fixture
def notes(monkeypatch):
    """Every notification the app shows, as (text, severity)."""
    shown: list[tuple[str, str]] = []
    original = TofyApp.notify

    def record(self, message, *, title="", severity="information", timeout=None, markup=True):
        shown.append((f"{title}: {message}" if title else message, severity))
        original(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    monkeypatch.setattr(TofyApp, "notify", record)
    return shown


# ---------------------------------------------------------------- navigation and form


async def test_keys_switch_screens_and_digits_in_a_field_stay_digits():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, TrainScreen)
        assert app.screen.sub_title == "Train"
        await pilot.press("2")
        assert isinstance(app.screen, ModelsScreen)
        await pilot.press("3")
        assert isinstance(app.screen, DiffScreen)
        await pilot.press("1")
        train = app.screen
        assert isinstance(train, TrainScreen)
        train.query_one("#field-steps", Input).focus()
        await pilot.press("2", "5")
        assert isinstance(app.screen, TrainScreen)
        assert train.query_one("#field-steps", Input).value == "25"
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TrainScreen)
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme
        await pilot.press("q")
    assert app.return_code == 0


async def test_command_palette_offers_the_apps_actions(notes):
    from textual.command import CommandPalette

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"models screen")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "Models", 5)
        await pilot.press("ctrl+p", *"watch a running", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen), "Train", 5)
        await wait_until(
            pilot,
            lambda: any("No run is training right now." in text for text, _ in notes),
            "the notification",
            5,
        )


async def test_the_data_picker_offers_recent_sources(tiny_corpus):
    from tofy_tui.screens.data_picker import DataPicker
    from tofy_tui.settings import remember_data

    remember_data(str(tiny_corpus))
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("o")
        assert isinstance(app.screen, DataPicker)
        await pilot.press("down", "enter")  # below "built-in corpus": the recent file
        assert isinstance(app.screen, TrainScreen)
        assert screen.form.values()["data"] == str(tiny_corpus)
        await pilot.press("escape", "o", "enter")
        assert screen.form.values()["data"] == ""


async def test_the_form_says_what_is_wrong_next_to_each_field(tmp_path, notes):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        start = screen.query_one("#start", Button)
        assert not start.disabled
        screen.query_one("#field-steps", Input).focus()
        await pilot.press(*"abc")
        await fill(pilot, screen, heads="3", batch="0")
        assert note(screen, "steps") == "'abc' is not a whole number"
        assert "dim 64 is not divisible by heads 3" in note(screen, "heads")
        assert note(screen, "batch") == "batch must be a positive whole number, got 0"
        assert start.disabled
        await pilot.press("escape", "s")
        assert any(severity == "error" for _, severity in notes)
        assert not any(screen.launcher.children)

        await fill(pilot, screen, steps="20", heads="4", batch="4")
        assert start.disabled is False
        missing = tmp_path / "[bold]missing[/].txt"
        await fill(pilot, screen, data=str(missing))
        # the engine's own message, markup shown literally
        assert note(screen, "data") == f"data file {missing} does not exist: check the path"
        assert start.disabled


async def test_the_form_opens_on_the_quick_preset_and_a_preset_fills_the_sizes():
    from tofy_core.config import PRESETS, preset_config

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.ready, "the form")
        assert screen.form.check.config == preset_config("quick")
        assert note(screen, "preset") == PRESETS["quick"].summary
        assert note(screen, "threads").startswith("auto: ")  # empty: the engine's rule
        await fill(pilot, screen, name="mine", seed="7", threads="1")
        assert note(screen, "threads") == ""
        select = screen.query_one("#field-preset")
        select.focus()
        await pilot.press("enter", "down", "enter")  # quick → base
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "272", "base's sizes")
        values = screen.form.values()
        assert values["preset"] == "base"
        assert (values["steps"], values["layers"], values["max_vocab"]) == ("10000", "3", "8000")
        assert (values["name"], values["seed"], values["threads"]) == ("mine", "7", "1")
        config = screen.form.check.config
        assert config is not None and config.train.preset == "base"
        assert config.model == preset_config("base").model
        await fill(pilot, screen, dim="256")
        assert note(screen, "preset").endswith("changed: dim")
        screen.form.set_value("preset", "quick")
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "64", "quick's sizes")
        assert screen.form.values()["max_vocab"] == "32000"


async def test_data_the_engine_refuses_blocks_start(tmp_path, notes):
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"hello there\x00 friend\n")
    no_parquet = tmp_path / "no_parquet"
    no_parquet.mkdir()
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        start = screen.query_one("#start", Button)
        for source, message in (
            (str(binary), "holds binary data (NUL bytes)"),
            (f"hub:{no_parquet}", "holds no .parquet files"),
        ):
            notes.clear()
            await fill(pilot, screen, data=source)
            assert message in note(screen, "data")
            assert start.disabled
            await pilot.press("escape", "s")
            assert any(message in text and sev == "error" for text, sev in notes), notes
            assert not screen.launcher.children
        await fill(pilot, screen, data="")
        assert not start.disabled


async def test_cuda_without_a_gpu_blocks_start(monkeypatch, notes):
    import torch

    from tofy_core.preflight import NO_CUDA

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, device="cuda")
        await pilot.press("escape", "s")  # before the check is done: Start waits for it
        await wait_until(pilot, lambda: any(NO_CUDA in text for text, _ in notes), "refusal", 30)
        assert note(screen, "device") == NO_CUDA
        assert screen.query_one("#start", Button).disabled
        assert not screen.launcher.children and screen.status == "idle"
        await fill(pilot, screen, device="auto")
        assert note(screen, "device") == ""
        assert not screen.query_one("#start", Button).disabled


async def test_unreachable_hub_id_disables_start(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data="hub:someone/some-dataset")
        await wait_until(pilot, lambda: "could not be downloaded" in note(screen, "data"), "hint")
        assert screen.query_one("#start", Button).disabled


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
        await pilot.press("s")
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
        await pilot.press("s")
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
            await pilot.press("w")
            assert isinstance(app.screen, WatchScreen)
            await pilot.press("enter")
            assert screen.watched_id == "headless" and screen.child is None
            await wait_until(pilot, lambda: screen.history.last_step is not None, "its steps")
            assert screen.history.start is not None  # read from the beginning of the file
            assert not screen.query_one("#start", Button).disabled  # watching blocks nothing
            await pilot.press("x")  # stop works on a run we did not start, too
            await wait_until(pilot, lambda: screen.status == "stopped", "the stop")
        assert process.wait(30) == EXIT_INTERRUPTED  # stopped and saved
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def _live():
    from tofy_tui.training import live_runs

    return live_runs()


# ---------------------------------------------------------------- quitting


async def test_quit_while_training_can_leave_the_run_going(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.press("s")
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
        await pilot.press("s")
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
        await pilot.press("s")
        child = screen.child
        assert child.running
    assert not child.running  # the app's exit stopped it, whatever it was doing
