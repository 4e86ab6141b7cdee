"""Speed figures a user can trust: rates over a window of real length, real (non-pad) tokens,
and a run's summary rate over all its sessions."""

from __future__ import annotations

import pytest

from tofy_core.rates import RateMeter, run_rate


def steady(meter: RateMeter, steps: int, start: float, per_step: float) -> float:
    """Feed `steps` steps of 100 tokens (60 real) taking `per_step` seconds each; mark every
    10 steps like the trainer's log interval. Returns the clock."""
    clock = start
    for step in range(1, steps + 1):
        meter.add(100, 60)
        clock += per_step
        if step % 10 == 0:
            meter.mark(clock)
    return clock


def test_a_stop_after_an_evaluation_keeps_the_running_rate():
    meter = RateMeter(min_span=10.0)
    clock = steady(meter, 1000, 0.0, 0.05)  # 20 steps/s for 50 s
    clock += 1.0  # a held-out evaluation after the last log line
    meter.add(100, 60)  # the one step finished before the stop
    rates = meter.mark(clock + 0.05)
    # one step over the 1.05 s since the last line would say 95 tokens/s and an ETA of hours
    assert rates.steps_per_s == pytest.approx(20.0, rel=0.15)
    assert rates.tokens_per_s == pytest.approx(2000.0, rel=0.15)
    assert rates.real_tokens_per_s == pytest.approx(1200.0, rel=0.15)
    assert rates.eta(200) == pytest.approx(10.0, rel=0.15)


def test_a_slowdown_shows_within_the_window_not_after_the_whole_run():
    meter = RateMeter(min_span=10.0)
    clock = steady(meter, 1000, 0.0, 0.05)  # fast for 50 s
    clock = steady(meter, 200, clock, 0.2)  # then 5 steps/s for 40 s
    assert meter.mark(clock).steps_per_s == pytest.approx(5.0, rel=0.1)


def test_early_rates_use_everything_since_the_start():
    meter = RateMeter(min_span=10.0)
    steady(meter, 20, 0.0, 0.1)
    rates = meter.mark(2.0)
    assert rates.steps_per_s == pytest.approx(10.0)
    assert RateMeter().mark(0.0).eta(10) is None


def test_the_summary_rate_counts_real_tokens_over_all_sessions():
    events = [
        {"event": "start"},
        {"event": "step", "real_tokens": 500, "train_seconds": 5.0},
        {"event": "end", "real_tokens": 600, "train_seconds": 6.0},
        {"event": "start"},  # a resume
        {"event": "step", "real_tokens": 300, "train_seconds": 2.0},  # then killed: no end
    ]
    summary = run_rate(events)
    assert summary is not None
    assert summary["real_tokens"] == 900 and summary["train_seconds"] == 8.0
    assert summary["real_tokens_per_s"] == pytest.approx(112.5)
    assert run_rate([{"event": "start"}]) is None
