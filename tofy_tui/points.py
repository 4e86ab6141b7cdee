"""Series that share an x axis (a run's step events, or its eval events), kept at most KEEP
points long at one uniform stride: when full, neighbours are averaged in pairs and the stride
doubles, later events are then averaged `stride` at a time. A redraw costs the same at step
100 and at step 1,000,000, and the whole run stays drawn at an even resolution."""

from __future__ import annotations

import math

KEEP = 2000


class Points:
    """`xs` and `ys[name]` stay the same length; a field an event lacks is NaN there."""

    def __init__(self, known: tuple[str, ...] = ()) -> None:
        self.xs: list[float] = []
        self.ys: dict[str, list[float]] = {key: [] for key in known}
        self.stride = 1
        self._x = math.nan
        self._events = 0
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def add(self, x: float, fields: dict[str, float]) -> None:
        """One event's numbers; kept as a point of its own until the stride grows."""
        self._x = x
        self._events += 1
        for key in (*self.ys, *fields):
            value = fields.get(key, math.nan)
            finite = math.isfinite(value)
            self._sums[key] = self._sums.get(key, 0.0) + (value if finite else 0.0)
            self._counts[key] = self._counts.get(key, 0) + finite
        if self._events >= self.stride:
            self._flush()

    def series(self, key: str) -> tuple[list[float], list[float]]:
        """x and y of one field, the events averaged so far but not yet a point included."""
        xs, ys = list(self.xs), list(self.ys.get(key, []))
        if self._events:
            xs.append(self._x)
            ys.append(self._mean(key))
        return xs, ys

    def forget_after(self, x: float) -> None:
        """Drop the points past `x` (a resumed run trains those steps again)."""
        kept = sum(1 for known in self.xs if known <= x)
        del self.xs[kept:]
        for ys in self.ys.values():
            del ys[kept:]
        self._reset()

    def _mean(self, key: str) -> float:
        count = self._counts.get(key, 0)
        return self._sums[key] / count if count else math.nan

    def _flush(self) -> None:
        self.xs.append(self._x)
        length = len(self.xs)
        for key in self._sums:
            if key not in self.ys:
                self.ys[key] = [math.nan] * (length - 1)
        for key, ys in self.ys.items():
            ys.append(self._mean(key) if key in self._sums else math.nan)
        self._reset()
        if length > KEEP:
            self._halve()

    def _reset(self) -> None:
        self._events = 0
        self._sums.clear()
        self._counts.clear()

    def _halve(self) -> None:
        paired = len(self.xs) // 2 * 2
        self.xs[:] = self.xs[1:paired:2] + self.xs[paired:]
        for ys in self.ys.values():
            ys[:] = [_mean(ys[i], ys[i + 1]) for i in range(0, paired, 2)] + ys[paired:]
        self.stride *= 2


def _mean(a: float, b: float) -> float:
    if math.isfinite(a) and math.isfinite(b):
        return (a + b) / 2
    return a if math.isfinite(a) else b
