"""Axis ticks a reader can take in at a glance: round steps (1, 2, 2.5 or 5 × 10^k) over a
range widened to them, labels with as many decimals as the step needs and no more, so a
memory plot reads `0 · 100 · 200 · 300`, never `338.27 … 334.75`."""

from __future__ import annotations

import math
from dataclasses import dataclass

NICE = (1.0, 2.0, 2.5, 5.0, 10.0)
UNITS = ("", "k", "M", "G", "T")


@dataclass(frozen=True)
class Axis:
    """A y range and its labelled ticks."""

    low: float
    high: float
    ticks: list[float]
    labels: list[str]


def nice_step(span: float, count: int) -> float:
    """The round step that splits `span` into about `count` parts."""
    raw = span / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(n * power for n in NICE if n * power >= raw * 0.999)


def y_axis(low: float, high: float, count: int = 4, floor_zero: bool = False) -> Axis:
    """Ticks for values between `low` and `high`; `floor_zero` starts the axis at 0 (memory:
    a flat 320 MiB line reads as flat, not as a swing between 320.1 and 320.9)."""
    if floor_zero and low >= 0:
        low = 0.0
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high - low <= abs(high) * 1e-9:  # a flat line: show it in the middle of a round range
        pad = abs(high) * 0.1 or 1.0
        low, high = (0.0, high + pad) if floor_zero and low >= 0 else (low - pad, high + pad)
    step, first, last = _tightest(low, high, count)
    ticks = [first + i * step for i in range(round((last - first) / step) + 1)]
    return Axis(first, last, ticks, tick_labels(ticks, step))


def _tightest(low: float, high: float, count: int) -> tuple[float, float, float]:
    """Of the round steps giving 3 to `count` ticks (fewer only when nothing else fits), the
    one that wastes the least height."""
    power = math.floor(math.log10(nice_step(high - low, max(1, count - 1))))
    steps = [n * 10.0**p for p in (power - 1, power, power + 1) for n in NICE[:-1]]
    best: tuple[int, float, float, float, float] | None = None
    for step in steps:
        first = math.floor(low / step + 1e-9) * step
        last = math.ceil(high / step - 1e-9) * step
        ticks = round((last - first) / step) + 1
        if ticks > count:
            continue
        key = (0 if ticks >= min(3, count) else 1, last - first, -ticks)
        if best is None or key < best[:3]:
            best = (*key, step, first, last)  # type: ignore[assignment]
    assert best is not None  # the largest step always fits
    return best[3], best[4], best[5]  # type: ignore[misc]


def tick_labels(ticks: list[float], step: float) -> list[str]:
    """`0.25`, `1.5e-04`, `12k`, `3.5M`: the step's precision; thousands as k/M/G when the
    largest tick reaches 10,000, the same unit for every tick."""
    big = max(max(abs(t) for t in ticks), step)
    if big >= 10_000:
        power = min(int(math.log10(big) // 3), len(UNITS) - 1)
        scale = 1000.0**power
        digits = decimals(step / scale)
        return [_zero(t, step) or f"{t / scale:.{digits}f}{UNITS[power]}" for t in ticks]
    if step < 1e-3:
        return [_zero(t, step) or f"{t:.1e}" for t in ticks]
    return [_zero(t, step) or f"{t:.{decimals(step)}f}" for t in ticks]


def _zero(value: float, step: float) -> str:
    return "0" if abs(value) < step * 1e-6 else ""


def decimals(step: float) -> int:
    """Digits after the point that tell ticks `step` apart (2.5 needs one, 0.25 two)."""
    for digits in range(0, 8):
        if abs(round(step, digits) - step) < step * 1e-6:
            return digits
    return 8


def step_ticks(xs: list[float], count: int = 5) -> list[int]:
    """Whole-number x ticks at round steps inside the steps shown, at least two when the
    range allows (steps are never fractional)."""
    low, high = min(xs), max(xs)
    if high - low < 1:
        return [round(low)]
    ticks: list[int] = []
    for parts in range(max(1, count - 1), max(1, count - 1) + 4):
        step = max(1.0, nice_step(high - low, parts))
        first = math.ceil(low / step - 1e-9) * step
        ticks = [round(first + i * step) for i in range(int((high - first) / step + 1e-9) + 1)]
        if len(ticks) >= 2:
            break
    return ticks or [round(low)]


def step_label(step: int) -> str:
    """`950`, `2,500`, `40k`, `1.2M`: a step count as short as it stays exact enough."""
    if step >= 1_000_000:
        return f"{step / 1e6:.{0 if step % 1_000_000 == 0 else 1}f}M"
    if step >= 10_000:
        return f"{step / 1e3:.{0 if step % 1000 == 0 else 1}f}k"
    return f"{step:,}"


def log_axis(low: float, high: float, count: int = 4) -> Axis:
    """A true log scale for positive values from `low` to `high`: ticks (as log10 of the
    values, what the chart plots) at whole decades, with 2 and 5 between them when the range
    spans too few decades to read; labelled with the values themselves."""
    first, last = math.floor(math.log10(low) + 1e-9), math.ceil(math.log10(high) - 1e-9)
    if last <= first:
        last = first + 1
    values = [10.0**p for p in range(first, last + 1)]
    if len(values) < count:
        values = [m * 10.0**p for p in range(first, last + 1) for m in (1, 2, 5)]
        values = [v for v in values if v <= 10.0**last * 1.0001]
        if len(values) > count:  # keep the decades, add what fits near the data
            inside = [v for v in values if low <= v <= high]
            values = sorted({10.0**first, 10.0**last, *inside[: max(0, count - 2)]})
    ticks = [math.log10(v) for v in values]
    return Axis(first, last, ticks, [log_label(v) for v in values])


def log_label(value: float) -> str:
    """`0.01`, `5`, `200`, `20k`, `1e-05`: a tick of a log axis."""
    if value >= 10_000:
        power = min(int(math.log10(value) // 3), len(UNITS) - 1)
        return f"{value / 1000.0**power:g}{UNITS[power]}"
    if value < 1e-3:
        return f"{value:.0e}"
    return f"{value:g}"
