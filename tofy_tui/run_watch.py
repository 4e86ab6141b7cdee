"""The run the Train screen watches: ours (a training child started here) or one started
with `tofy train` elsewhere, its events so far, and where it is in its life:

    starting → running → (stopping →) finished | stopped | failed | interrupted

A run started elsewhere begins at `running`; a replay (a run that is not training) begins at
its final status and its whole metrics.jsonl is read once. The screen's worker runs `tail`;
the screen feeds what it posts back in and renders what this object says; nothing here
draws."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.worker import get_current_worker

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_tui.history import RunHistory
from tofy_tui.messages import RunEnd, RunEnded, RunEvents, RunNote
from tofy_tui.recent_data import remember_data
from tofy_tui.training import RunTail, TrainingChild, signal_run

ACTIVE = ("starting", "running", "stopping")
STOPPABLE = ("starting", "running")
POLL_S = 0.25
# The child's lines worth a place in the event log before its first event: the data's phase.
SETUP_LINES = ("converting ", "using cached dataset", "tokenizing", "tokens:", "token cache")
EVENT_BATCH = 2000
FAILURE_LINES = 8  # of the child's output, shown when it failed before its first event


@dataclass
class WatchedRun:
    """One watched run's state; `child` is ours until the run ends."""

    run_id: str
    child: TrainingChild | None = None
    data: str = ""  # our run's data source, remembered once it really trains
    status: str = ""
    history: RunHistory = field(default_factory=RunHistory)
    drawn: int = -1  # the history version the plots show
    replay: bool = False  # not training: its curves are read once, nothing is tailed

    def __post_init__(self) -> None:
        self.replay = bool(self.status) and self.status not in ACTIVE
        self.status = self.status or ("starting" if self.child is not None else "running")

    @property
    def run_dir(self) -> Path:
        return paths.runs_dir() / self.run_id

    @property
    def active(self) -> bool:
        """Still going (ours or one started elsewhere)."""
        return self.status in ACTIVE

    @property
    def stoppable(self) -> bool:
        return self.status in STOPPABLE

    @property
    def training_here(self) -> bool:
        """Our own child is training: one at a time (watching another run does not count)."""
        return self.active and self.child is not None

    @property
    def stale(self) -> bool:
        """The plots are behind the history."""
        return self.history.version != self.drawn

    def add_events(self, events: list[dict[str, Any]]) -> bool:
        """Take new events; True when the status changed (the trainer began)."""
        self.history.extend(events)
        if self.data and self.child is not None and self.history.last_step:
            # Only data that really trained joins the recent list: a run that reached its first
            # step read and tokenized it; a run that failed before never gets here.
            remember_data(self.data)
            self.data = ""
        if self.status == "starting" and self.history.start is not None:
            self.status = "running"
            return True
        return False

    def stop(self) -> bool:
        """Ask the trainer to finish its step, save and end (SIGINT); False when it is gone."""
        if self.child is not None:
            sent = self.child.stop()
        else:
            try:
                sent = signal_run(runs.read_info(self.run_dir))
            except TofyError:
                sent = False
        if sent:
            self.status = "stopping"
        return sent

    def end(self, end: RunEnd) -> list[str]:
        """The run is over: its status, and the lines to add to the event log (the error when
        no `end` event said it, the child's last output when it failed before starting)."""
        self.status = end.status
        notes = []
        if end.error and self.history.end is None:
            notes.append(f"{end.status}: {end.error}")
        if end.status == "failed" and self.child is not None and self.history.start is None:
            notes += [f"  | {line}" for line in self.child.log_tail(FAILURE_LINES)]
        self.child = None
        return notes

    def tail(self, post: Callable[[Message], object]) -> None:
        """A worker's loop: post the run's new events every POLL_S until it ends or the
        worker is cancelled."""
        if self.replay:
            self._replay(post)
            return
        worker = get_current_worker()
        tail = RunTail(self.run_dir, self.child)
        started, said = False, ""
        while not worker.is_cancelled:
            events, end = tail.poll()
            started = started or bool(events)
            if not started and self.child is not None:
                said = self._setup_note(post, said)
            for first in range(0, len(events), EVENT_BATCH):
                post(RunEvents(self.run_id, events[first : first + EVENT_BATCH]))
            if end is not None:
                if tail.child is not None:
                    tail.child.wait(10.0)  # reap it: it exits right after `end`
                post(RunEnded(self.run_id, end))
                return
            time.sleep(POLL_S)

    def _setup_note(self, post: Callable[[Message], object], said: str) -> str:
        """Post the child's newest line about preparing the data, once; returns it."""
        lines = self.child.log_tail(1) if self.child is not None else []
        line = lines[-1] if lines else ""
        if line != said and line.startswith(SETUP_LINES):
            post(RunNote(self.run_id, line))
            return line
        return said

    def _replay(self, post: Callable[[Message], object]) -> None:
        """A finished, stopped, failed or interrupted run: every event once, through the
        engine's validated reader (a damaged line is left out, a resume's replaced steps
        too)."""
        events = read_events(self.run_dir / runs.METRICS_FILE)
        for first in range(0, len(events), EVENT_BATCH):
            post(RunEvents(self.run_id, events[first : first + EVENT_BATCH]))


def pickable_runs() -> list[runs.RunInfo]:
    """Runs the monitor can show: the ones training now first, then every other run that
    logged events (finished, stopped, failed, interrupted), newest first."""
    found = [
        info
        for info in runs.list_runs()
        if not info.path.is_symlink() and info.file(runs.METRICS_FILE).is_file()
    ]
    return sorted(found, key=lambda info: not info.is_live)  # stable: newest first in each


def replay_status(run_id: str) -> str:
    """'' when the run is training now (watch it live), else its status to replay it with
    (`interrupted` for a trainer that died without saying; `damaged` when run.json is)."""
    try:
        info = runs.read_info(paths.runs_dir() / run_id)
    except TofyError:
        return "damaged"
    return "" if info.is_live else info.shown_status
