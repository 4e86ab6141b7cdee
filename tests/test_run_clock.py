"""A resumed run's totals and x values across its sessions (tofy_core/runs/clock.py), as the
monitor, the Models comparison and the metrics reader use them, and the charts' remembered
choices read back from a damaged settings file."""

from __future__ import annotations

import json
import math

import pytest

from tofy_core.runs.metrics import read_metrics
from tofy_tui import chart_prefs, ui_state
from tofy_tui.history import RunHistory

T0 = 1_000_000.0


def two_sessions() -> list[dict]:
    """Steps 10–40 (100 tokens and 1 s per step), stopped; resumed from the checkpoint at 20,
    steps 30–40 again at 50 tokens and 2 s per step, an hour later."""
    first = [{"event": "start", "time": T0, "resumed_from": 0}]
    for step in (10, 20, 30, 40):
        first.append(step_event(step, step * 100, step * 1.0, T0 + step))
    first.append(
        {"event": "eval", "time": T0 + 20, "step": 20, "top1": 0.1, "top10": 0.2, "mean_rank": 9.0}
    )
    first.append(
        {
            "event": "end",
            "time": T0 + 41,
            "step": 40,
            "status": "stopped",
            "real_tokens": 4000,
            "train_seconds": 40.0,
            "real_tokens_per_s": 100.0,
        }
    )
    later = T0 + 3600
    second = [{"event": "start", "time": later, "resumed_from": 20}]
    for step in (30, 40):
        second.append(step_event(step, (step - 20) * 50, (step - 20) * 2.0, later + step))
    second.append(
        {
            "event": "eval",
            "time": later + 40,
            "step": 40,
            "top1": 0.2,
            "top10": 0.3,
            "mean_rank": 5.0,
        }
    )
    second.append(
        {
            "event": "end",
            "time": later + 41,
            "step": 40,
            "status": "finished",
            "real_tokens": 1000,
            "train_seconds": 40.0,
            "real_tokens_per_s": 25.0,
        }
    )
    return first + second


def step_event(step: int, tokens: int, seconds: float, stamp: float) -> dict:
    return {
        "event": "step",
        "time": stamp,
        "step": step,
        "steps": 40,
        "loss": 1.0 / step,
        "real_tokens": tokens,
        "train_seconds": seconds,
        "elapsed": seconds,
    }


def test_a_resumed_runs_elapsed_rate_and_tokens_seen_count_every_session():
    history = RunHistory()
    history.extend(two_sessions())
    assert history.elapsed == 80.0  # 40 s, then 40 s more: not the last session's 40
    assert history.real_tokens_per_s == pytest.approx(5000 / 80)  # not the last's 25
    tokens = history.series("loss", x="tokens")
    assert tokens.xs == [1000.0, 2000.0, 2500.0, 3000.0]  # resumed from step 20's 2,000 tokens
    top1 = history.series("eval/top1", x="tokens")
    assert top1.xs == [2000.0, 3000.0]
    wall = history.series("loss", x="time")
    assert wall.xs[-1] == 3640.0 and wall.xs == sorted(wall.xs)
    assert "x/tokens" not in history.metric_names()  # x values are not offered as metrics


def test_the_metrics_reader_gives_the_same_tokens_seen(tmp_path):
    lines = [json.dumps(event) for event in two_sessions()]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loss = read_metrics(tmp_path)["loss"]
    assert loss.steps == [10.0, 20.0, 30.0, 40.0]  # the replaced steps 30 and 40 left out
    assert loss.tokens == [1000.0, 2000.0, 2500.0, 3000.0]
    assert read_metrics(tmp_path)["eval/top10"].tokens == [2000.0, 3000.0]


def test_a_run_without_token_counts_has_no_tokens_axis():
    history = RunHistory()
    history.add({"event": "start", "time": T0})
    history.add({"event": "step", "time": T0 + 1, "step": 1, "loss": 2.0})
    assert history.series("loss", x="tokens").xs == []
    assert history.series("loss").xs == [1.0]
    assert math.isclose(history.series("loss", x="time").xs[0], 1.0)


def test_chart_choices_are_remembered_and_a_damaged_part_falls_back():
    assert chart_prefs.load() == chart_prefs.ChartPrefs()
    prefs = chart_prefs.ChartPrefs("tokens", {"loss"}, "time", True)
    assert chart_prefs.save(prefs) == ""
    assert chart_prefs.load() == prefs
    assert ui_state.read().form == {}  # the other parts untouched
    data = json.loads(ui_state.state_path().read_text())
    data["charts"] = {"monitor_x": "furlongs", "monitor_log": [3, "lr"], "compare_log": "yes"}
    ui_state.state_path().write_text(json.dumps(data))
    assert chart_prefs.load() == chart_prefs.ChartPrefs(monitor_log={"lr"})
    ui_state.state_path().write_text(json.dumps({**data, "charts": ["not", "a", "dict"]}))
    state, problem = ui_state.load()
    assert state.charts == {} and "bad charts" in problem


async def test_an_older_run_without_token_counts_says_so_on_the_tokens_axis():
    from textual.app import App, ComposeResult

    from tofy_tui.widgets.metric_plot import MetricPlot
    from tofy_tui.widgets.plot_grid import PlotGrid

    class Grid(App):
        def compose(self) -> ComposeResult:
            yield PlotGrid()

    history = RunHistory()
    history.add({"event": "start", "time": T0})
    for step in (1, 2, 3):
        history.add({"event": "step", "time": T0 + step, "step": step, "loss": 2.0 / step})
    async with Grid().run_test(size=(100, 30)) as pilot:
        grid = pilot.app.query_one(PlotGrid)
        grid.draw(history)
        grid.cycle_x()  # step → tokens seen
        loss = pilot.app.query_one("#plot-0", MetricPlot)
        assert loss.title.endswith("no tokens seen logged (t: step)") and not loss.series
        grid.cycle_x()  # → wall time: every event has a time
        assert "logged" not in loss.title and loss.series[0].xs == [1.0, 2.0, 3.0]
