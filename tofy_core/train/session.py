"""A run's session: what one training process does to its run folder, apart from training.

The `Trainer` computes; the session owns the folder while the process trains into it: the lock
(one trainer per run), the temporary files a killed writer left, run.json (device, the step of
the last checkpoint, how the run ended) and the event stream. Under torchrun rank 0 alone
holds the lock and writes; the other ranks' sessions write nothing.

The process-wide torch settings (threads, TF32, the seed) are applied here too, once per
session and in one named place, instead of as a side effect of building a model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from tofy_core.config import TrainConfig
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import Kind
from tofy_core.runs.events import EventWriter
from tofy_core.threads import resolve_threads

EventListener = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class TorchSettings:
    """The process-wide torch state a run trains under."""

    threads: int
    tf32: bool  # TF32 tensor cores for the fp32 work autocast leaves (optimizer, norms, loss)
    seed: int

    @classmethod
    def of(cls, train: TrainConfig, device: torch.device) -> TorchSettings:
        return cls(resolve_threads(train.threads), device.type == "cuda", train.seed)

    def apply(self) -> None:
        torch.set_num_threads(self.threads)
        if self.tf32:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(self.seed)  # the model's initial weights


class RunSession:
    """The run folder's owner for one training process: lock, run.json, events, end status."""

    def __init__(
        self, run: runs.RunInfo, writes: bool, listeners: list[EventListener] | None = None
    ) -> None:
        self.run = run
        self.writes = writes  # rank 0 (or the only process) writes; the others keep quiet
        self.listeners = list(listeners or [])
        self.events = EventWriter(run.file(runs.METRICS_FILE))
        self.lock: runs.RunLock | None = None
        self._held: list[dict[str, Any]] | None = None  # records not yet shown, see `quiet`

    def apply_torch_settings(self, train: TrainConfig, device: torch.device) -> TorchSettings:
        """Set the process's threads, TF32 and seed for this run; returns what was set."""
        settings = TorchSettings.of(train, device)
        settings.apply()
        return settings

    def hold(self) -> None:
        """Own the run folder from now until `end`: a second trainer is refused with this
        process's pid. Temporary files a killed writer left are removed once it is ours."""
        if self.lock is None and self.writes:
            self.lock = runs.lock_run(self.run.path, self.run.run_id)
            runs.remove_leftovers(self.run)

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def emit(self, kind: str, **fields: Any) -> None:
        """Append an event and show it to every listener."""
        if not self.writes:
            return
        record = self.events.write(kind, **fields)
        if self._held is not None:
            self._held.append(record)
        else:
            self._show(record)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Events are written but shown to the listeners only after the block: a stop saves
        before it prints anything, so a console whose reader is gone (or stalled) cannot
        cost the stopped run its checkpoint."""
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            for record in held:
                self._show(record)

    def _show(self, record: dict[str, Any]) -> None:
        """Each listener sees the record; one whose output is gone (a broken pipe, a closed
        file) is dropped: showing progress never decides how the run ends."""
        for listener in list(self.listeners):
            try:
                listener(record)
            except OSError:
                self.listeners.remove(listener)

    def began(self, device: torch.device) -> None:
        """run.json says where the run trains, now that it does."""
        if self.writes:
            self.run.device = str(device)
            runs.write_info(self.run)

    def saved(self, step: int) -> None:
        """run.json records the step of the checkpoint just written."""
        if self.writes:
            self.run.step = step
            runs.write_info(self.run)

    def end(self, status: str, error: str, **fields: Any) -> None:
        """run.json and the `end` event say how the run ended, then the lock is let go."""
        try:
            if not self.writes:
                return
            self.run.status = status
            self.run.error = error
            self.run.pid = None
            runs.write_info(self.run)
            self.emit(Kind.END, status=status, error=error, **fields)
        finally:
            self.release()
