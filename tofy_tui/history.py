"""A run's history as the monitor shows it: every numeric field of every step and eval event
(so any of them can be plotted), at most a few thousand points per series however long the run
(tofy_tui/points.py), smoothed and downsampled to a few hundred points for the plots."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tofy_core.config import TrainConfig
from tofy_core.rates import real_rate
from tofy_core.runs.clock import X_TIME, X_TOKENS, RunClock
from tofy_core.runs.event_schema import EVAL_SCORES, EVENT, LOSS_PARTS, MEMORY_FIELDS, Kind
from tofy_tui.points import Points

MAX_POINTS = 300
MIB = 1024 * 1024
STEP_KEYS = (
    *LOSS_PARTS,
    "lr",
    "momentum",
    "real_tokens_per_s",
    "tokens_per_s",
)
MEMORY_KEYS = MEMORY_FIELDS
EVAL_KEYS = EVAL_SCORES  # every eval event has them
X_KEYS = {"event", "step", "steps", "time"}  # the x axis and bookkeeping, never plotted
SMOOTHING = (0.0, 0.6, 0.9)  # EMA weights the monitor cycles through (0: raw values)
# The series noisy from step to step, which smoothing helps read; a schedule (lr, momentum),
# memory or an eval score is drawn as it was logged.
NOISY = frozenset((*LOSS_PARTS, "loss", "accuracy", "collapse", "steps_per_s", "tokens_per_s")) | {
    "real_tokens_per_s"
}
X_FIELDS = {"tokens": X_TOKENS, "time": X_TIME}
LOSS_PARTS = ("mse", "ce", "align")  # each weighted by TrainConfig's `<part>_weight`


@dataclass(frozen=True)
class Series:
    """One line of a plot."""

    label: str
    xs: list[float]
    ys: list[float]
    latest: float = math.nan  # the last value logged, before any smoothing (the legend's)
    short: str = ""  # a shorter label, for a legend with little room

    @property
    def last(self) -> float:
        return self.latest if math.isfinite(self.latest) else self.ys[-1]


def _number(value: Any) -> float:
    """A JSON value as a float; NaN/inf arrive as strings and stay non-finite."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def downsample(xs: list[float], ys: list[float], limit: int = MAX_POINTS):
    """At most `limit` points: the mean of each bucket, at the bucket's last x."""
    if len(xs) <= limit:
        return list(xs), list(ys)
    out_x, out_y = [], []
    for bucket in range(limit):
        lo, hi = bucket * len(xs) // limit, (bucket + 1) * len(xs) // limit
        values = [y for y in ys[lo:hi] if math.isfinite(y)]
        if values:
            out_x.append(xs[hi - 1])
            out_y.append(sum(values) / len(values))
    return out_x, out_y


def _numeric(value: Any) -> bool:
    """A field worth plotting: a number (not a flag), or NaN/inf written as text."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or value in ("nan", "inf", "-inf")


def ema_span(weight: float) -> float:
    """The `smooth` span of an EMA weight w (TensorBoard's slider): new = w·old + (1-w)·y."""
    return 2.0 / (1.0 - weight) - 1.0


def smooth(ys: list[float], span: float | None = None) -> list[float]:
    """Exponential moving average; the span grows with the history (1 for a few points)."""
    if not ys:
        return []
    span = span if span is not None else min(max(len(ys) / 25, 1.0), 50.0)
    alpha = 2.0 / (span + 1.0)
    out, current = [], None
    for y in ys:
        if math.isfinite(y):
            current = y if current is None else current + alpha * (y - current)
        out.append(current if current is not None else math.nan)
    return out


def _plotted(name: str) -> bool:
    """A field of the run's, not an x value derived from them."""
    return name not in X_FIELDS.values()


def _finite(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x + y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _fields(event: dict[str, Any]) -> dict[str, float]:
    """An event's plottable numbers (NaN/inf written as text included)."""
    return {k: _number(v) for k, v in event.items() if k not in X_KEYS and _numeric(v)}


@dataclass
class RunHistory:
    """Everything a run has reported so far."""

    start: dict[str, Any] | None = None
    last_step: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    step_points: Points = field(default_factory=lambda: Points((*STEP_KEYS, *MEMORY_KEYS)))
    eval_points: Points = field(default_factory=lambda: Points(EVAL_KEYS))
    last_eval: dict[str, Any] | None = None
    version: int = 0
    clock: RunClock = field(default_factory=RunClock)

    @property
    def steps(self) -> list[float]:
        return self.step_points.xs

    @property
    def values(self) -> dict[str, list[float]]:
        return self.step_points.ys

    @property
    def eval_steps(self) -> list[float]:
        return self.eval_points.xs

    @property
    def evals(self) -> dict[str, list[float]]:
        return self.eval_points.ys

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get(EVENT)
        self.version += 1
        if kind == Kind.START:
            self.start, self.end = event, None
            resumed = event.get("resumed_from")
            if isinstance(resumed, int) and not isinstance(resumed, bool):
                # A resume restarts at its checkpoint's step: points logged after it by the
                # session that was stopped or killed are replaced, never drawn twice.
                self.step_points.forget_after(resumed)
                self.eval_points.forget_after(resumed)
            self.clock.start(event)
        elif kind == Kind.STEP:
            self.last_step = event
            xs = self.clock.step(event)
            self.step_points.add(_number(event.get("step")), {**_fields(event), **xs})
        elif kind == Kind.EVAL:
            self.last_eval = event
            xs = self.clock.eval(event)
            self.eval_points.add(_number(event.get("step")), {**_fields(event), **xs})
        elif kind == Kind.END:
            self.end = event
            self.clock.end(event)

    def extend(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.add(event)

    # ---------------------------------------------------------------- facts

    @property
    def total_steps(self) -> int:
        if self.last_step is not None:
            return int(_number(self.last_step.get("steps")) or 0)
        if self.start is not None:
            train = self.start.get("config", {}).get("train", {})
            return int(train.get("steps", 0) or 0)
        return 0

    @property
    def step(self) -> int:
        if self.end is not None and isinstance(self.end.get("step"), int):
            return self.end["step"]
        step = _number((self.last_step or {}).get("step"))
        return int(step) if math.isfinite(step) else 0

    def weights(self) -> dict[str, float]:
        """The loss parts' weights the run trained with (the engine's defaults when its start
        event does not say)."""
        train = (self.start or {}).get("config", {}).get("train", {})
        defaults = TrainConfig()
        return {
            part: float(train.get(f"{part}_weight", getattr(defaults, f"{part}_weight")))
            for part in LOSS_PARTS
        }

    @property
    def real_tokens_per_s(self) -> float | None:
        """Real (non-pad) tokens per second: once it has ended, the run's overall figure (every
        session's tokens over every session's training time), the latest step's before. None
        until a step is logged."""
        if self.end is not None:
            overall = self.clock.real_tokens_per_s
            if overall is not None:
                return overall
            if _number(self.end.get("real_tokens_per_s", 0)) > 0:
                return real_rate(self.end)
        return real_rate(self.last_step) if self.last_step is not None else None

    @property
    def elapsed(self) -> float:
        """Seconds of training over every session of the run (a resumed run's included)."""
        return self.clock.elapsed

    def eta(self, now: float) -> float | None:
        """Seconds left, counted down from the last step event's ETA; None once the run has
        ended or while the trainer knows no rate yet."""
        last = self.last_step
        if self.end is not None or last is None:
            return None
        eta = _number(last.get("eta"))
        if not math.isfinite(eta):
            return None
        age = max(0.0, now - _number(last.get("time", now)))
        return max(0.0, eta - age) if math.isfinite(age) else eta

    @property
    def memory_kind(self) -> str:
        return str((self.last_step or {}).get("mem_kind", ""))

    # ---------------------------------------------------------------- plot series

    def metric_names(self) -> list[str]:
        """Every numeric field the run's events carry: step fields by name, eval fields as
        `eval/<name>` (as the Models screen's comparison names them)."""
        steps, evals = self.step_points, self.eval_points
        names = [k for k in steps.ys if _plotted(k) and any(map(math.isfinite, steps.series(k)[1]))]
        names += [
            f"eval/{k}"
            for k in evals.ys
            if _plotted(k) and any(map(math.isfinite, evals.series(k)[1]))
        ]
        return names

    def series(
        self, name: str, smoothing: float = 0.0, scale: float = 1.0, label: str = "", x="step"
    ) -> Series:
        """One metric by `metric_names` name against `x` (step, tokens or time); step metrics
        smoothed with the EMA weight `smoothing` (eval points are few and each one counts:
        never smoothed). The legend's latest value stays the raw one."""
        points = self.eval_points if name.startswith("eval/") else self.step_points
        xs, values = points.series(name.removeprefix("eval/"))
        if name.startswith("eval/"):
            smoothing = 0.0
        if x in X_FIELDS:
            xs = points.series(X_FIELDS[x])[1]
        ys = [y * scale for y in values]
        raw = [y for y in ys if math.isfinite(y)]
        if smoothing > 0:
            ys = smooth(ys, ema_span(smoothing))
        xs, ys = downsample(*_finite(xs, ys))
        return Series(label or name, xs, ys, raw[-1] if raw and xs else math.nan)

    def _series(self, label: str, key: str, scale: float = 1.0, smoothing: float = 0.0):
        return self.series(key, smoothing, scale, label)

    def loss_series(self, smoothing: float = SMOOTHING[1]) -> list[Series]:
        """Total loss and its weighted parts (they add up to the total), smoothed."""
        weights = self.weights()
        lines = [self._series("total", "loss", smoothing=smoothing)]
        for part in ("ce", "mse", "align"):
            label = f"{part}×{weights[part]:g}"
            lines.append(self._series(label, part, weights[part], smoothing=smoothing))
        return lines

    def accuracy_series(self, smoothing: float = SMOOTHING[1], x: str = "step") -> list[Series]:
        """Held-out top-1/top-10 retrieval (eval events) and the training accuracy, in %."""
        lines = []
        for key, label, short in (("top1", "held-out top-1", "top-1"), ("top10", "top-10", "")):
            line = self.series(f"eval/{key}", scale=100.0, label=label, x=x)
            lines.append(Series(line.label, line.xs, line.ys, line.latest, short))
        train = self.series("accuracy", smoothing, 100.0, "train", x)
        return [*lines, train]

    def memory_series(self) -> tuple[str, list[Series]]:
        """Memory in MiB: CUDA allocated and reserved on a GPU, process RSS on CPU."""
        if self.memory_kind == "cuda":
            return "CUDA memory (MiB)", [
                self._series("allocated", "mem_allocated", 1 / MIB),
                self._series("reserved", "mem_reserved", 1 / MIB),
            ]
        if self.memory_kind == "rss":
            return "process RSS, CPU (MiB)", [self._series("RSS", "mem_rss", 1 / MIB)]
        return "memory (MiB)", []
