"""What the snapshot tests (test_snapshots.py) need to draw the same picture on every run: one
tiny run trained once per session at a relative TOFY_HOME (so no temporary folder's name is
drawn) with its recorded clocks pinned, a system panel fed fixed figures, input cursors that
do not blink, and the user's steps to each view, each ending only once the view has settled.

What changes between two runs of the same code, and how it is held still here:
- the run's created/updated times, its events' times, speeds, elapsed and resident memory:
  rewritten in the run's files by `pin_clocks` (the trained weights and losses are left as
  the seeded training made them);
- temporary folder names: the tests run in their own folder with TOFY_HOME=home, relative;
- the system panel's CPU and RAM: `FixedSampler` replaces psutil's sampler;
- the input cursor's blink (a 0.5 s timer): `steady_cursors` makes cursors steady."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import TINY_PHRASES
from diff_model import PHRASES, train_run
from textual.widgets import Input
from textual.worker import WorkerState

from tofy_core.runs import folders as runs
from tofy_tui import ui_state
from tofy_tui.screens import train_setup
from tofy_tui.system_stats import SystemSample, Target

HOME = "home"  # TOFY_HOME, relative to each test's own working folder
RUN_ID = "tiny"
STEPS = 60
CLOCK_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the pinned run's start
STEP_S = 0.05  # the pinned run's seconds per step
AFTER_STEP_S = {"eval": 0.01, "checkpoint": 0.02, "end": 0.03}  # after the step they follow
RSS = 300 * 2**20  # the pinned trainer's resident memory
QUERY = "erin drinks hot _ => tea, pears"
GIB = 2**30


# ---------------------------------------------------------------- the run


def train_pinned_run(root: Path) -> Path:
    """A finished tiny run (seed 0, one thread), trained under `root`/home with a relative
    TOFY_HOME and data path, its clocks pinned; returns its folder."""
    folder = root / HOME / "data" / "runs" / RUN_ID
    if (folder / runs.MODEL_FILE).is_file():
        return folder
    corpus = root / HOME / "phrases.txt"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    corpus.write_text("\n".join(PHRASES + TINY_PHRASES) + "\n", encoding="utf-8")
    train = {"eval_every": 20, "holdout": 0.2, "batch": 8, "log_every": 5, "seed": 0}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # every path the run records is relative: home/…
        data = Path(HOME) / "phrases.txt"
        train_run(Path(HOME), data, STEPS, RUN_ID, train=train, dim=16, layers=1, max_seq=12)
    pin_clocks(folder)
    return folder


def pin_clocks(folder: Path) -> None:
    """Rewrite what the wall clock put in the run's files: its created/updated times, and each
    event's time, speeds, elapsed seconds and resident memory, as if every step took STEP_S."""
    run_file = folder / runs.RUN_FILE
    record = json.loads(run_file.read_text(encoding="utf-8"))
    record["created"] = "2026-01-01T00:00:00+00:00"
    record["updated"] = "2026-01-01T00:00:03+00:00"
    run_file.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    metrics = folder / runs.METRICS_FILE
    events = [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines()]
    lines = [json.dumps(_pinned(event), separators=(",", ":")) for event in events]
    metrics.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pinned(event: dict[str, Any]) -> dict[str, Any]:
    step = int(event.get("step", 0) or 0)
    seconds = step * STEP_S
    event["time"] = CLOCK_START + seconds + AFTER_STEP_S.get(event.get("event", ""), 0.0)
    fixed = {
        "elapsed": seconds,
        "train_seconds": seconds,
        "eta": (STEPS - step) * STEP_S,
        "steps_per_s": 1 / STEP_S,
        "tokens_per_s": 4000.0,
        "real_tokens_per_s": 3000.0,
        "mem_rss": RSS,
    }
    return {key: fixed.get(key, value) for key, value in event.items()}


def install_run(folder: Path, work: Path) -> None:
    """The pinned run and its data copied into `work`/home (the test runs in `work` with
    TOFY_HOME=home)."""
    shutil.copytree(folder, work / HOME / "data" / "runs" / RUN_ID)
    shutil.copy2(folder.parents[2] / "phrases.txt", work / HOME / "phrases.txt")


# ---------------------------------------------------------------- fixed figures


class FixedSampler:
    """Stands in for system_stats.Sampler: the same machine figures every second."""

    def sample(self, target: Target) -> SystemSample:
        return SystemSample(cpu=25.0, cores=4, memory_used=6 * GIB, memory_total=16 * GIB)


def steady_cursors(patch: pytest.MonkeyPatch) -> None:
    """Input cursors drawn steadily (shown while focused) instead of blinking on a timer."""
    patch.setattr(Input.__dict__["cursor_blink"], "_default", False)


def no_typing_pause(patch: pytest.MonkeyPatch) -> None:
    """The form describes its data at once: its 1 s wait for typing to settle (the first
    value's) is for a person's keys, and no one types here."""
    patch.setattr(train_setup, "FIRST_SETTLE_S", 0.0)


def choose_theme(theme: str) -> None:
    """The theme the app opens in, remembered as a user's Ctrl+T leaves it."""
    assert ui_state.update(theme=theme) == ""


# ---------------------------------------------------------------- waiting


async def wait_until(pilot, predicate: Callable[[], bool], what: str, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def _busy(app) -> bool:
    """A worker still going, other than the system panel's endless sampler."""
    return any(
        worker.state in (WorkerState.PENDING, WorkerState.RUNNING) and worker.group != "system"
        for worker in app.workers
    )


async def settle(pilot, quiet_s: float = 0.2) -> None:
    """Until no worker is busy and two pictures `quiet_s` apart are the same."""
    app = pilot.app
    deadline = time.monotonic() + 60
    before = None
    while time.monotonic() < deadline:
        await wait_until(pilot, lambda: not _busy(app), "the workers to finish")
        await pilot.pause(quiet_s)
        now = app.export_screenshot()
        if now == before and not _busy(app):
            return
        before = now
    raise AssertionError("the screen kept changing")


# ---------------------------------------------------------------- the views


async def form_ready(pilot) -> None:
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.ready, "the form")


async def train_form(pilot) -> None:
    await form_ready(pilot)
    await settle(pilot)


async def train_monitor(pilot) -> None:
    """w, Enter: the monitor replays the finished run."""
    screen = pilot.app.screen
    await form_ready(pilot)
    await pilot.press("escape", "w")
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.history is not None and screen.history.end, "events")
    await wait_until(pilot, lambda: not screen.watched.stale, "the plots' redraw")
    await settle(pilot)


async def models(pilot) -> None:
    await pilot.press("2")
    screen = pilot.app.screen
    await wait_until(pilot, lambda: len(screen.shown) == 1, "the run listed")
    await wait_until(pilot, lambda: RUN_ID in screen.metrics, "its metrics")
    await wait_until(pilot, lambda: not screen._plots_stale, "its plots")
    await settle(pilot)


async def diff(pilot) -> None:
    await pilot.press("3")
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.prober is not None, "the model to load")
    field = screen.query_one("#diff-input", Input)
    field.focus()
    field.value = QUERY
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.last is not None, "the answer")
    await settle(pilot)


async def help_dialog(pilot) -> None:
    await form_ready(pilot)
    await pilot.press("escape", "question_mark")
    await settle(pilot)


async def quit_dialog(pilot) -> None:
    """The question quit asks while a run trains (pushed as quit pushes it: a real trainer
    would keep changing the screen behind it)."""
    from tofy_tui.screens.quit import QuitScreen

    await form_ready(pilot)
    pilot.app.load_panes_css()
    await pilot.app.push_screen(QuitScreen([RUN_ID]))
    await settle(pilot)


async def watch_dialog(pilot) -> None:
    await form_ready(pilot)
    await pilot.press("escape", "w")
    await settle(pilot)


VIEWS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "train-form": train_form,
    "train-monitor": train_monitor,
    "models": models,
    "diff": diff,
    "help": help_dialog,
    "quit": quit_dialog,
    "watch": watch_dialog,
}
