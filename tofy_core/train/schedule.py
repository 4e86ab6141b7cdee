"""The learning-rate and EMA-momentum schedules: pure functions of the step (and the run's
schedule phases), so resume needs only the step to continue exactly where it stopped."""

from __future__ import annotations

import math

from tofy_core.config import TrainConfig


def get_lr(step: int, train: TrainConfig) -> float:
    """Linear warmup, then cosine from `lr` down to `min_lr` at the end of the step's phase
    (the whole run unless it was extended)."""
    start, end = train.phase_at(step)
    step -= start
    warmup = train.warmup_steps(end - start)
    if step < warmup:
        return train.lr * (step + 1) / warmup
    span = max(end - start - warmup, 1)
    progress = min((step - warmup) / span, 1.0)
    return train.min_lr + 0.5 * (train.lr - train.min_lr) * (1 + math.cos(math.pi * progress))


def get_momentum(step: int, train: TrainConfig) -> float:
    """EMA momentum, linear from `ema_start` to `ema_end` over the step's phase."""
    start, end = train.phase_at(step)
    fraction = min((step - start) / max(end - start, 1), 1.0)
    return train.ema_start + (train.ema_end - train.ema_start) * fraction
