"""TensorBoard event files for a run: written while it trains (`tofy train --tensorboard`, a
listener on the run's events) or afterwards from its `metrics.jsonl` (`tofy export
--tensorboard`). Either way the scalars are the metrics the Models compare plot shows
(`metrics.event_metrics`), by step, with the event's own wall time, so TensorBoard, W&B's
`sync_tensorboard`, Aim and the Hugging Face Hub read the same curves Tofy draws.

`tensorboard` is an optional extra: it is imported only when a writer is made."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from tofy_core.errors import TofyError
from tofy_core.runs.event_schema import EVENT, TIME, Kind
from tofy_core.runs.metrics import event_metrics

FOLDER = "tensorboard"  # inside a run folder, or an export folder
EVENT_FILE_PREFIX = "events.out.tfevents."
INSTALL = "pip install 'tofy[tensorboard]'"
FLUSH_S = 10  # how stale the files may be while a run trains (TensorBoard's default: 120)


@cache
def missing() -> str:
    """Why TensorBoard files cannot be written here, in one line ("" when they can)."""
    if importlib.util.find_spec("tensorboard") is None:
        return f"TensorBoard is not installed: {INSTALL}"
    return ""


def check_available() -> None:
    """A TofyError saying how to install TensorBoard when it is not."""
    if missing():
        raise TofyError(f"--tensorboard needs TensorBoard, which is not installed: {INSTALL}")


class TensorBoardWriter:
    """Writes the scalars of each step and eval event it is shown: a run session's listener
    (rank 0 alone shows events). The files are made at the first scalar, inside a run folder
    that exists by then. A resumed session (`start` with `resumed_from` N) tells TensorBoard
    to drop what an earlier one logged past step N (steps trained again after a kill)."""

    def __init__(self, folder: Path) -> None:
        check_available()
        self.folder = folder
        self.writer: Any = None
        self.purge_step: int | None = None
        self.scalars = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind, step = event.get(EVENT), event.get("step")
        if kind == Kind.START:
            resumed = event.get("resumed_from")
            self.purge_step = resumed + 1 if isinstance(resumed, int) and resumed > 0 else None
            return
        if kind == Kind.END:
            self.close()
            return
        if not isinstance(step, int) or isinstance(step, bool):
            return
        from tensorboard.compat.proto.summary_pb2 import Summary
        from torch.utils.tensorboard.summary import scalar

        values = [v for name, value in event_metrics(event) for v in scalar(name, value).value]
        if not values:
            return
        stamp = event.get(TIME)
        wall = float(stamp) if isinstance(stamp, int | float) else None
        # one record per event, all its scalars in it: a record per scalar costs ~10x more
        self._writer().file_writer.add_summary(Summary(value=values), step, wall)
        self.scalars += len(values)

    def _writer(self) -> Any:
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self.folder.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(
                str(self.folder), purge_step=self.purge_step, flush_secs=FLUSH_S
            )
        return self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def event_files(folder: Path) -> list[Path]:
    """The TensorBoard event files directly in `folder`."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(EVENT_FILE_PREFIX))


def write_event_files(events: list[dict[str, Any]], folder: Path) -> int:
    """Event files for a finished run's events (as `read_events` returns them: a resume's
    replaced steps already dropped); returns the number of scalars written."""
    writer = TensorBoardWriter(folder)
    try:
        for event in events:
            if event.get(EVENT) not in (Kind.START, Kind.END):
                writer(event)
    finally:
        writer.close()
    return writer.scalars
