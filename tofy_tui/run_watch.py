"""The run the Train screen watches: ours (a training child started here) or one started
with `tofy train` elsewhere, its events so far, and where it is in its life:

    starting → running → (stopping →) finished | stopped | failed | interrupted

A run started elsewhere begins at `running`. The screen's worker runs `tail`; the screen feeds
what it posts back in and renders what this object says; nothing here draws."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.worker import get_current_worker

from tofy_core import paths, runs
from tofy_core.errors import TofyError
from tofy_tui.history import RunHistory
from tofy_tui.messages import RunEnd, RunEnded, RunEvents
from tofy_tui.recent_data import remember_data
from tofy_tui.training import RunTail, TrainingChild, signal_run

ACTIVE = ("starting", "running", "stopping")
STOPPABLE = ("starting", "running")
POLL_S = 0.25
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

    def __post_init__(self) -> None:
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
        worker = get_current_worker()
        tail = RunTail(self.run_dir, self.child)
        while not worker.is_cancelled:
            events, end = tail.poll()
            for first in range(0, len(events), EVENT_BATCH):
                post(RunEvents(self.run_id, events[first : first + EVENT_BATCH]))
            if end is not None:
                if tail.child is not None:
                    tail.child.wait(10.0)  # reap it: it exits right after `end`
                post(RunEnded(self.run_id, end))
                return
            time.sleep(POLL_S)
