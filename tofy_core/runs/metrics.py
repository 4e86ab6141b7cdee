"""Every numeric field a run's step and eval events carry, as series by step, by tokens seen
(tofy_core/runs/clock.py) and by wall time, for overlaying several runs on one chart; and the
metric filter (a glob or a substring, as W&B's LEET has it)."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path

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


def read_metrics(path: Path) -> dict[str, MetricSeries]:
    """`step` event fields by their own name, `eval` fields as `eval/<name>`."""
    out: dict[str, MetricSeries] = {}
    first: float | None = None
    clock, kept = RunClock(), []  # tokens seen at each step event, for a resume's base
    for event in read_events(path / runs.METRICS_FILE):
        stamp = event.get(TIME)
        if isinstance(stamp, int | float) and first is None:
            first = float(stamp)
        kind = event.get(EVENT)
        if kind == Kind.START:
            resumed = event.get("resumed_from")
            at = [t for s, t in kept if isinstance(resumed, int) and s <= resumed and t == t]
            clock.start(event, at[-1] if at else math.nan)
        if kind not in (Kind.STEP, Kind.EVAL) or not isinstance(event.get("step"), int | float):
            continue
        tokens = (clock.step(event) if kind == Kind.STEP else clock.eval(event))[X_TOKENS]
        if kind == Kind.STEP:
            kept.append((event["step"], tokens))
        seconds = float(stamp) - first if isinstance(stamp, int | float) and first else 0.0
        prefix = "" if kind == Kind.STEP else "eval/"
        for key, value in event.items():
            if key in SKIP or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value):
                continue
            series = out.setdefault(prefix + key, MetricSeries())
            series.steps.append(float(event["step"]))
            series.seconds.append(seconds)
            series.values.append(float(value))
            series.tokens.append(tokens)
    return out


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
