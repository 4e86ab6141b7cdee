"""Every numeric field a run's step and eval events carry, as series by step and by wall
time, for overlaying several runs on one chart; and the metric filter (a glob or a
substring, as W&B's LEET has it)."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import EVENT, TIME, Kind
from tofy_core.runs.events import read_events

SKIP = {"event", "step", "steps", "time", "eta", "elapsed", "train_seconds", "real_tokens"}


@dataclass
class MetricSeries:
    """One metric of one run: x by step and by seconds since the run's first event."""

    steps: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def read_metrics(path: Path) -> dict[str, MetricSeries]:
    """`step` event fields by their own name, `eval` fields as `eval/<name>`."""
    out: dict[str, MetricSeries] = {}
    first: float | None = None
    for event in read_events(path / runs.METRICS_FILE):
        stamp = event.get(TIME)
        if isinstance(stamp, int | float) and first is None:
            first = float(stamp)
        kind = event.get(EVENT)
        if kind not in (Kind.STEP, Kind.EVAL) or not isinstance(event.get("step"), int | float):
            continue
        seconds = float(stamp) - first if isinstance(stamp, int | float) and first else 0.0
        for key, value in event_metrics(event):
            series = out.setdefault(key, MetricSeries())
            series.steps.append(float(event["step"]))
            series.seconds.append(seconds)
            series.values.append(float(value))
    return out


def event_metrics(event: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """The metrics one step or eval event carries, by name (eval fields as `eval/<name>`):
    its finite numbers that are not a step, a count of steps or a clock. The one rule every
    export (the compare plot, `tofy metrics`, TensorBoard) reads a run's numbers by."""
    kind = event.get(EVENT)
    if kind not in (Kind.STEP, Kind.EVAL):
        return
    prefix = "" if kind == Kind.STEP else "eval/"
    for key, value in event.items():
        if key in SKIP or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            yield prefix + key, float(value)


def matches(name: str, pattern: str) -> bool:
    """A glob when the pattern has one of `*?[`, else a case-blind substring."""
    pattern = pattern.strip()
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return pattern.lower() in name.lower()


def metric_names(series: list[dict[str, MetricSeries]], pattern: str = "") -> list[str]:
    """The metrics any of the runs carry that match the filter, sorted (loss first)."""
    names = {name for one in series for name in one if matches(name, pattern)}
    return sorted(names, key=lambda n: (n not in ("loss", "eval/top10"), n))
