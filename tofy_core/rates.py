"""Training speed a user can trust: tokens/s and ETA over a window of real length, and a run's
summary rate as total real tokens over total training time.

A rate taken over the few steps since the last log line says nothing after a stop (one step in
a few milliseconds gave "73 tokens/s, ETA 7 hours"), so rates here always span at least
`MIN_SPAN_S` seconds of training, or everything since the start when less has passed."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MIN_SPAN_S = 10.0


@dataclass(frozen=True)
class Mark:
    """Cumulative counts of one training session at one moment."""

    seconds: float
    steps: int
    tokens: int
    real_tokens: int


@dataclass(frozen=True)
class Rates:
    tokens_per_s: float
    real_tokens_per_s: float
    steps_per_s: float

    def eta(self, steps_left: int) -> float | None:
        """Seconds until `steps_left` more steps are done, or None before any rate is known."""
        if self.steps_per_s <= 0:
            return None
        return steps_left / self.steps_per_s


class RateMeter:
    """Counts a session's work and answers rates over the last `min_span` seconds or more."""

    def __init__(self, min_span: float = MIN_SPAN_S) -> None:
        self.min_span = min_span
        self.steps = 0
        self.tokens = 0
        self.real_tokens = 0
        self._marks: deque[Mark] = deque([Mark(0.0, 0, 0, 0)])

    def add(self, tokens: int, real_tokens: int) -> None:
        self.steps += 1
        self.tokens += tokens
        self.real_tokens += real_tokens

    def mark(self, seconds: float) -> Rates:
        """Record the counts at `seconds` since the session began; the rates up to now."""
        now = Mark(seconds, self.steps, self.tokens, self.real_tokens)
        self._marks.append(now)
        # keep the newest mark that is still at least min_span old, and everything after it
        while len(self._marks) > 2 and now.seconds - self._marks[1].seconds >= self.min_span:
            self._marks.popleft()
        return _between(self._marks[0], now)

    def totals(self, seconds: float) -> dict[str, float | int]:
        """The session's summary: real tokens over the whole training time."""
        return {
            "real_tokens": self.real_tokens,
            "train_seconds": seconds,
            "real_tokens_per_s": self.real_tokens / seconds if seconds > 0 else 0.0,
        }


def _between(old: Mark, new: Mark) -> Rates:
    span = new.seconds - old.seconds
    if span <= 0:
        return Rates(0.0, 0.0, 0.0)
    return Rates(
        tokens_per_s=(new.tokens - old.tokens) / span,
        real_tokens_per_s=(new.real_tokens - old.real_tokens) / span,
        steps_per_s=(new.steps - old.steps) / span,
    )


def run_rate(events: Iterable[dict[str, Any]]) -> dict[str, float] | None:
    """A run's summary over all its sessions (a resume starts a new one): total real tokens
    over total training time. A session killed before its `end` event counts up to its last
    `step` event. None when no step was ever logged."""
    tokens = seconds = 0.0
    session: dict[str, Any] | None = None
    for event in events:
        kind = event.get("event")
        if kind == "start":
            if session:
                tokens, seconds = tokens + session["tokens"], seconds + session["seconds"]
            session = None
        elif kind in ("step", "end"):
            real, spent = event.get("real_tokens"), event.get("train_seconds")
            if isinstance(real, int | float) and isinstance(spent, int | float):
                session = {"tokens": float(real), "seconds": float(spent)}
    if session:
        tokens, seconds = tokens + session["tokens"], seconds + session["seconds"]
    if seconds <= 0:
        return None
    return {"real_tokens": tokens, "train_seconds": seconds, "real_tokens_per_s": tokens / seconds}


def real_rate(event: dict[str, Any]) -> float:
    """Real (non-pad) tokens per second; events written before it existed give the padded
    figure."""
    return float(event.get("real_tokens_per_s", event.get("tokens_per_s", 0.0)))
