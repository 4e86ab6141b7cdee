"""What a run list shows about each run, read from its folder: run.json, config.json and the
event stream, plus the engine's one damage verdict (`folders.inspect_run`), so a damaged run
is listed with its reason instead of breaking the list. `tofy runs`/`tofy show` and the TUI's
Models screen share it.

No torch here: weights are checked from their safetensors header and length alone, which is
what keeps a list of a hundred runs quick."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tofy_core import paths
from tofy_core.config import RunConfig
from tofy_core.errors import TofyError
from tofy_core.rates import run_rate
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import EVENT, TIME, Kind
from tofy_core.runs.events import events_problem, read_events

STATUSES = ("running", "finished", "stopped", "failed", "interrupted", "damaged")
_SERIALS = itertools.count(1)


@dataclass
class RunSummary:
    """One row of the run list and the facts of its detail pane."""

    run_id: str
    path: Path
    name: str = ""
    status: str = "damaged"
    reason: str = ""  # why a run is damaged, or the error a failed run ended with
    dataset: str = ""
    created: str = ""
    pid: int | None = None
    step: int = 0
    steps: int = 0
    device: str = ""
    dim: int | None = None
    layers: int | None = None
    heads: int | None = None
    parameters: int | None = None
    loss: float | None = None
    best_top10: float | None = None
    best_top1: float | None = None
    last_eval: dict[str, Any] | None = None
    tokens_per_s: float | None = None  # real (non-pad) tokens/s over the run, else the last step's
    step_tokens_per_s: float | None = None
    wall_s: float | None = None
    checkpoint_step: int | None = None
    rate: dict[str, float] = field(default_factory=dict)  # real tokens, seconds, tokens/s
    size: int = 0
    files: dict[str, int] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    info: runs.RunInfo | None = None
    serial: int = field(default_factory=lambda: next(_SERIALS))  # a new one per re-read

    @property
    def live(self) -> bool:
        return self.status == "running"

    def to_json(self) -> dict[str, Any]:
        """`tofy runs --json`'s object: run.json's fields plus what the events say."""
        out: dict[str, Any] = self.info.to_json() if self.info else {"id": self.run_id}
        out.update(
            name=self.name, dataset=self.dataset, status=self.status, path=str(self.path),
            step=self.step, steps=self.steps, device=self.device, size=self.size,
            checkpoint_step=self.checkpoint_step, **self.rate,
        )  # fmt: skip
        if self.reason:
            out["reason"] = self.reason
        if self.loss is not None:
            out["loss"] = self.loss
        if self.step_tokens_per_s is not None:
            out["tokens_per_s"] = self.step_tokens_per_s
        if self.last_eval:
            out["eval"] = self.last_eval
        if self.best_top10 is not None:
            out["best_top10"] = self.best_top10
        return out


def summarize(path: Path) -> RunSummary:
    """Everything the list knows about one run folder; never raises for a bad file. The
    engine's own check (`runs.inspect_run`, asked whether the files make a usable model) says
    whether the folder is damaged and why."""
    summary = RunSummary(run_id=path.name, path=path, name=path.name)
    summary.files = _files(path)
    summary.size = sum(summary.files.values())
    checked = runs.inspect_run(path, usable=True)
    try:
        info = checked if not checked.is_damaged else runs.read_info(path)
    except TofyError as exc:
        summary.reason = str(exc)
        return summary
    summary.info = info
    summary.name, summary.dataset, summary.created = info.name, info.dataset, info.created
    summary.pid, summary.step, summary.steps = info.pid, info.step, info.steps
    summary.device = info.device
    summary.status = info.shown_status
    summary.reason = info.error
    _add_events(summary, path)
    summary.checkpoint_step = runs.checkpoint_step(info)
    _add_config(summary, info)
    if checked.is_damaged:
        summary.status, summary.reason = "damaged", checked.error
    elif problem := events_problem(path / runs.METRICS_FILE):
        summary.status, summary.reason = "damaged", problem
    return summary


def refresh_status(summary: RunSummary) -> None:
    """Liveness changes without a file changing (a killed trainer): look again."""
    if summary.info is not None and summary.status in ("running", "interrupted"):
        summary.status = summary.info.shown_status


def _files(path: Path) -> dict[str, int]:
    try:
        return {p.name: p.stat().st_size for p in sorted(path.iterdir()) if p.is_file()}
    except OSError:
        return {}


def _add_config(summary: RunSummary, info: runs.RunInfo) -> None:
    """The model's sizes from config.json; a config that cannot be read leaves them out (the
    verdict on it is `inspect_run`'s)."""
    try:
        data = json.loads(info.file(runs.CONFIG_FILE).read_text(encoding="utf-8"))
        config = RunConfig.from_dict(data)
        config.model.validate()
    except (OSError, ValueError, TypeError, AttributeError, KeyError, TofyError):
        return
    model = config.model
    summary.config = config.to_dict()
    summary.dim, summary.layers, summary.heads = model.dim, model.layers, model.heads
    if model.vocab_size is None:
        model.vocab_size = _line_count(info.file(runs.VOCAB_FILE)) or None
    summary.parameters = model.parameter_count()


def _add_events(summary: RunSummary, path: Path) -> None:
    events = read_events(path / runs.METRICS_FILE)
    best10 = best1 = None
    for event in events:
        kind = event.get(EVENT)
        if kind == Kind.STEP:
            summary.step = max(summary.step, _int(event.get("step")))
            summary.loss = _float(event.get("loss"))
            summary.step_tokens_per_s = _float(event.get("tokens_per_s"))
            summary.tokens_per_s = summary.step_tokens_per_s
        elif kind == Kind.EVAL:
            summary.last_eval = {k: event.get(k) for k in ("step", "top1", "top10", "mean_rank")}
            top10, top1 = _float(event.get("top10")), _float(event.get("top1"))
            if top10 is not None and (best10 is None or top10 > best10):
                best10 = top10
            if top1 is not None and (best1 is None or top1 > best1):
                best1 = top1
        elif kind == Kind.START and not summary.device:
            summary.device = str(event.get("device", "") or "")
    summary.best_top10, summary.best_top1 = best10, best1
    rate = run_rate(events)
    if rate:
        summary.rate = rate
        summary.tokens_per_s = rate.get("real_tokens_per_s", summary.tokens_per_s)
        summary.wall_s = rate.get("train_seconds")
    elif events:
        times = [t for t in (_float(e.get(TIME)) for e in events) if t is not None]
        summary.wall_s = max(times) - min(times) if times else None


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int:
    number = _float(value)
    return int(number) if number is not None else 0


# ---------------------------------------------------------------- the whole list


def run_folders() -> list[Path]:
    """Every entry of the runs folder, whatever state its files are in (a folder being made
    has a hidden name until it is whole)."""
    root = paths.runs_dir()
    try:
        return [p for p in root.iterdir() if not p.name.startswith(".")]
    except OSError:
        return []


def _signature(path: Path) -> tuple:
    """What changes when a run's files change: their names, sizes and times."""
    try:
        return tuple(
            sorted((p.name, s.st_size, s.st_mtime_ns) for p in path.iterdir() for s in [p.stat()])
        )
    except OSError:
        return ()


class RunBook:
    """The run list, re-read cheaply: a folder whose files did not change keeps its summary
    (only its liveness is looked at again), so polling every second costs little."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[tuple, RunSummary]] = {}

    def refresh(self) -> list[RunSummary]:
        found: dict[Path, tuple[tuple, RunSummary]] = {}
        for path in run_folders():
            signature = _signature(path)
            known = self._known.get(path)
            if known is not None and known[0] == signature:
                refresh_status(known[1])
                found[path] = known
            else:
                found[path] = (signature, summarize(path))
        self._known = found
        summaries = [summary for _, summary in found.values()]
        return sorted(summaries, key=lambda s: (s.created, s.run_id), reverse=True)


def list_summaries() -> list[RunSummary]:
    """Every run folder, newest first, damaged ones included."""
    return RunBook().refresh()
