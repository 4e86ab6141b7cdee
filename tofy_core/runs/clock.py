"""A run's totals across its sessions (a resume, or a new schedule phase, starts a new one),
and the x values a chart can plot against besides the step: tokens seen and wall time.

Each session's step events count its own `real_tokens` and `elapsed`/`train_seconds` from
zero, so a resumed run read naively shows only its last session. Here:
- tokens seen at a step = the tokens that trained the weights the session resumed from (the
  last logged point at or before its checkpoint step) + the session's own count;
- wall time = seconds since the run's first event (gaps between sessions included, as the
  Models screen's comparison has it);
- the run's elapsed training time and tokens/s add every session's, as `tofy_core.rates`
  does for the run summary (work later redone after a resume still took its time)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

AXES = ("step", "tokens", "time")  # the x axes a chart cycles through
AXIS_NAMES = {"step": "step", "tokens": "tokens seen", "time": "wall time (s)"}
X_TOKENS = "x/tokens"  # the derived x values, stored beside each point's fields
X_TIME = "x/time"


def number(value: Any) -> float:
    """A JSON number as a float; anything else NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


@dataclass
class RunClock:
    """Fed every event in order; answers the derived x values and the run's totals."""

    first_time: float = math.nan
    token_base: float = 0.0  # tokens behind the current session's starting weights
    done_seconds: float = 0.0  # training time of the sessions before the current one
    done_tokens: float = 0.0
    session_seconds: float = 0.0
    session_tokens: float = 0.0
    session_start_step: float = 0.0
    last_step: float = math.nan  # of the latest step event, and its tokens seen
    last_tokens: float = math.nan
    counted: bool = False  # the current session's step events carry real_tokens
    # (step, tokens seen) of every counted step event, for a later resume's base
    seen: list[tuple[float, float]] = field(default_factory=list)

    def start(self, event: dict[str, Any]) -> None:
        """A session begins; a resume's tokens seen start from the last counted step at or
        before its checkpoint (steps logged after it were redone: forgotten)."""
        self._stamp(event)
        self.done_seconds += self.session_seconds
        self.done_tokens += self.session_tokens
        self.session_seconds = self.session_tokens = 0.0
        resumed = number(event.get("resumed_from"))
        resumed_ok = math.isfinite(resumed) and resumed > 0
        self.session_start_step = resumed if resumed_ok else 0.0
        while self.seen and self.seen[-1][0] > self.session_start_step:
            self.seen.pop()
        base = self.seen[-1][1] if resumed_ok and self.seen else 0.0
        self.token_base = base
        self.last_step, self.last_tokens = self.session_start_step, base

    def step(self, event: dict[str, Any]) -> dict[str, float]:
        """The x values of a step event."""
        self._stamp(event)
        real = number(event.get("real_tokens"))
        spent = number(event.get("train_seconds", event.get("elapsed")))
        self.counted = math.isfinite(real)
        if self.counted:
            self.session_tokens = real
        if math.isfinite(spent):
            self.session_seconds = spent
        tokens = self.token_base + real if self.counted else math.nan
        self.last_step, self.last_tokens = number(event.get("step")), tokens
        if self.counted and math.isfinite(self.last_step):
            self.seen.append((self.last_step, tokens))
        return {X_TOKENS: tokens, X_TIME: self._since_first(event)}

    def eval(self, event: dict[str, Any]) -> dict[str, float]:
        """The x values of an eval event: tokens seen at its step, from the session's pace."""
        self._stamp(event)
        at = number(event.get("step"))
        tokens = self.last_tokens
        ran = self.last_step - self.session_start_step
        if math.isfinite(at) and math.isfinite(tokens) and ran > 0 and at != self.last_step:
            per_step = (tokens - self.token_base) / ran
            tokens = self.token_base + per_step * (at - self.session_start_step)
        return {X_TOKENS: tokens, X_TIME: self._since_first(event)}

    def end(self, event: dict[str, Any]) -> None:
        real, spent = number(event.get("real_tokens")), number(event.get("train_seconds"))
        if math.isfinite(real):
            self.session_tokens = real
        if math.isfinite(spent):
            self.session_seconds = spent

    @property
    def elapsed(self) -> float:
        """Training seconds over every session so far."""
        return self.done_seconds + self.session_seconds

    @property
    def real_tokens_per_s(self) -> float | None:
        """Real tokens over training time, every session; None where sessions lack counts."""
        seconds = self.elapsed
        if seconds <= 0 or not self.counted:
            return None
        return (self.done_tokens + self.session_tokens) / seconds

    def _stamp(self, event: dict[str, Any]) -> None:
        stamp = number(event.get("time"))
        if math.isnan(self.first_time) and math.isfinite(stamp):
            self.first_time = stamp

    def _since_first(self, event: dict[str, Any]) -> float:
        return number(event.get("time")) - self.first_time
