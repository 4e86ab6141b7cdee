"""A run's history as the monitor shows it: every event kept, series smoothed and
downsampled to a few hundred points for the plots."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tofy_core.config import TrainConfig
from tofy_core.progress import real_rate

MAX_POINTS = 300
MIB = 1024 * 1024
STEP_KEYS = (
    "loss",
    "mse",
    "ce",
    "align",
    "accuracy",
    "lr",
    "momentum",
    "real_tokens_per_s",
    "tokens_per_s",
)
MEMORY_KEYS = ("mem_rss", "mem_allocated", "mem_reserved", "mem_peak")
LOSS_PARTS = ("mse", "ce", "align")  # each weighted by TrainConfig's `<part>_weight`


@dataclass(frozen=True)
class Series:
    """One line of a plot."""

    label: str
    xs: list[float]
    ys: list[float]
    right: bool = False  # drawn against the right-hand axis


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
    size = len(xs) / limit
    for bucket in range(limit):
        lo, hi = int(bucket * size), int((bucket + 1) * size)
        values = [y for y in ys[lo:hi] if math.isfinite(y)]
        if values:
            out_x.append(xs[hi - 1])
            out_y.append(sum(values) / len(values))
    return out_x, out_y


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


def _finite(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@dataclass
class RunHistory:
    """Everything a run has reported so far."""

    start: dict[str, Any] | None = None
    last_step: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    steps: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    eval_steps: list[float] = field(default_factory=list)
    evals: dict[str, list[float]] = field(default_factory=dict)
    last_eval: dict[str, Any] | None = None
    version: int = 0

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        self.version += 1
        if kind == "start":
            self.start, self.end = event, None
            resumed = event.get("resumed_from")
            if isinstance(resumed, int) and not isinstance(resumed, bool):
                self._forget_after(resumed)
        elif kind == "step":
            self.last_step = event
            self.steps.append(_number(event.get("step")))
            for key in (*STEP_KEYS, *MEMORY_KEYS):
                self.values.setdefault(key, []).append(_number(event.get(key)))
        elif kind == "eval":
            self.last_eval = event
            self.eval_steps.append(_number(event.get("step")))
            for key in ("top1", "top10", "mean_rank"):
                self.evals.setdefault(key, []).append(_number(event.get(key)))
        elif kind == "end":
            self.end = event

    def _forget_after(self, step: int) -> None:
        """A resume restarts at its checkpoint's step: points logged after it by the session
        that was stopped or killed are replaced by the new session's, never drawn twice."""
        kept = sum(1 for s in self.steps if s <= step)
        del self.steps[kept:]
        for series in self.values.values():
            del series[kept:]
        kept = sum(1 for s in self.eval_steps if s <= step)
        del self.eval_steps[kept:]
        for series in self.evals.values():
            del series[kept:]

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
        return int(self.steps[-1]) if self.steps else 0

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
        """Real (non-pad) tokens per second: the run's overall figure once it has ended, the
        latest step's before. None until a step is logged."""
        if self.end is not None and _number(self.end.get("real_tokens_per_s", 0)) > 0:
            return real_rate(self.end)
        return real_rate(self.last_step) if self.last_step is not None else None

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

    def _series(self, label: str, key: str, scale: float = 1.0, smoothed: bool = False):
        ys = [y * scale for y in self.values.get(key, [])]
        if smoothed:
            ys = smooth(ys)
        xs, ys = downsample(*_finite(self.steps, ys))
        return Series(label, xs, ys)

    def loss_series(self) -> list[Series]:
        """Total loss and its weighted parts (they add up to the total), smoothed."""
        weights = self.weights()
        lines = [self._series("total", "loss", smoothed=True)]
        for part in ("ce", "mse", "align"):
            label = f"{part}×{weights[part]:g}"
            lines.append(self._series(label, part, weights[part], smoothed=True))
        return lines

    def accuracy_series(self) -> list[Series]:
        """Held-out top-1/top-10 retrieval (eval events) and the training accuracy."""
        lines = []
        for key, label in (("top1", "held-out top-1"), ("top10", "held-out top-10")):
            xs, ys = downsample(*_finite(self.eval_steps, self.evals.get(key, [])))
            lines.append(Series(label, xs, [y * 100 for y in ys]))
        train = self._series("train acc", "accuracy", 100.0, smoothed=True)
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

    def schedule_series(self) -> list[Series]:
        """Learning rate (left axis) and EMA momentum (right axis)."""
        lr = self._series("lr", "lr")
        momentum = self._series("momentum", "momentum")
        return [lr, Series(momentum.label, momentum.xs, momentum.ys, right=True)]
