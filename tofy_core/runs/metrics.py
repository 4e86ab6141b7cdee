"""Every numeric field a run's step and eval events carry, as series by step, by tokens seen
(tofy_core/runs/clock.py) and by wall time, for overlaying several runs on one chart; and the
metric filter (a glob or a substring, as W&B's LEET has it)."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tofy_core.runs import folders as runs
from tofy_core.runs.clock import X_TOKENS, RunClock
from tofy_core.runs.event_schema import EVENT, TIME, Kind
from tofy_core.runs.events import read_events

SKIP = {"event", "step", "steps", "time", "eta", "elapsed", "train_seconds", "real_tokens"}


@dataclass
class MetricSeries:
    """One metric of one run: x by step, by seconds since the run's first event and by tokens
    seen (NaN where the run did not count them)."""

    steps: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    tokens: list[float] = field(default_factory=list)


class MetricPoint(NamedTuple):  # a tuple: a long run has hundreds of thousands
    """One value of one metric, with every x it can be plotted or exported against:
    `stamp` the event's wall-clock time (None when it has none), `seconds` since the run's
    first event, `tokens` seen by then (`clock.RunClock`; NaN where the run did not count)."""

    step: float
    stamp: float | None
    seconds: float
    tokens: float
    metric: str
    value: float


def metric_points(events: Iterable[dict[str, Any]]) -> Iterator[MetricPoint]:
    """Every metric value of a run's events, in order: the one reading behind the compare
    plot, `tofy metrics` and the TensorBoard files."""
    first: float | None = None
    clock = RunClock()
    for event in events:
        stamp = event.get(TIME)
        stamp = float(stamp) if isinstance(stamp, int | float) else None
        if first is None and stamp is not None:
            first = stamp
        kind = event.get(EVENT)
        if kind == Kind.START:
            clock.start(event)
        step = event.get("step")
        if kind not in (Kind.STEP, Kind.EVAL) or not isinstance(step, int | float):
            continue
        tokens = (clock.step(event) if kind == Kind.STEP else clock.eval(event))[X_TOKENS]
        seconds = stamp - first if stamp is not None and first is not None else 0.0
        for key, value in event_metrics(event):
            yield MetricPoint(float(step), stamp, seconds, tokens, key, value)


def read_metrics(path: Path) -> dict[str, MetricSeries]:
    """`step` event fields by their own name, `eval` fields as `eval/<name>`."""
    out: dict[str, MetricSeries] = {}
    for point in metric_points(read_events(path / runs.METRICS_FILE)):
        series = out.setdefault(point.metric, MetricSeries())
        series.steps.append(point.step)
        series.seconds.append(point.seconds)
        series.values.append(point.value)
        series.tokens.append(point.tokens)
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
