"""The monitor's and the comparison's charts as a user reads them: every series named in a
legend that fits, the latest values as logged (only noisy series smoothed), a log scale and an
x axis (step, tokens seen, wall time) chosen per chart and remembered, the event log readable
at 80×24, and a resumed run's whole elapsed time and rate."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from conftest import TINY_MODEL_ARGS, TINY_PHRASES, run_cli
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static
from tui_pilot import wait_until

from tofy_core import paths
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_tui import chart_prefs
from tofy_tui.app import TofyApp
from tofy_tui.history import Series
from tofy_tui.screens.watch import WatchScreen
from tofy_tui.widgets.metric_plot import MetricPlot

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(scope="module")
def resumed_run(tmp_path_factory) -> Path:
    """A tiny run trained to step 20, then resumed to step 40: two sessions."""
    home = tmp_path_factory.mktemp("charts_home")
    corpus = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    corpus.write_text("\n".join(f"{p}\tok." for p in TINY_PHRASES) + "\n", encoding="utf-8")
    args = ["--log-every", "2", "--eval-every", "10", "--threads", "1", "--run-id", "two"]
    env = {"TOFY_HOME": str(home)}
    done = run_cli("train", str(corpus), "--steps", "20", *args, *TINY_MODEL_ARGS, **env)
    assert done.returncode == 0, done.stderr
    done = run_cli("resume", "two", "--steps", "40", **env)
    assert done.returncode == 0, done.stderr
    return home / "data" / "runs" / "two"


@pytest.fixture
def replayable(resumed_run) -> str:
    shutil.copytree(resumed_run, paths.runs_dir() / resumed_run.name)
    return resumed_run.name


def events(run_id: str) -> list[dict]:
    return list(read_events(paths.runs_dir() / run_id / runs.METRICS_FILE))


async def open_replay(pilot, run_id: str):
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.ready, "the form and the monitor")
    await pilot.press("escape", "w")
    assert isinstance(pilot.app.screen, WatchScreen)
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.history is not None and screen.history.end, "events")
    await wait_until(pilot, lambda: not screen.watched.stale, "the plots' redraw")
    await pilot.pause()
    return screen


def shown(screen) -> list[MetricPlot]:
    return [plot for plot in screen.query(MetricPlot) if plot.display]


def plain(markup: object) -> str:
    return Text.from_markup(str(markup or "")).plain


def legend_text(plot: MetricPlot) -> str:
    return f"{plain(plot.border_title)} {plain(plot.border_subtitle)}"


def fits(plot: MetricPlot) -> bool:
    """The border texts fit the plot's width (Textual cuts what does not)."""
    room = plot.size.width - 2
    return all(len(plain(text)) <= room for text in (plot.border_title, plot.border_subtitle))


# ---------------------------------------------------------------- legends and values


@pytest.mark.parametrize("size", SIZES)
async def test_every_series_is_named_in_a_legend_that_fits(replayable, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        accuracy = next(p for p in shown(screen) if p.title == "accuracy %")
        assert len(accuracy.series) == 3
        text = legend_text(accuracy)
        for name in ("top-1 ", "top-10 ", "train "):  # the green (train) line is named too
            assert name in text, text
        assert "…" not in text  # shorter names before cut ones
        for plot in shown(screen):
            assert fits(plot), (plot.size.width, legend_text(plot))


async def test_lr_is_drawn_as_logged_and_titles_show_the_latest_raw_value(replayable):
    app = TofyApp()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_replay(pilot, replayable)
        steps = [e for e in events(replayable) if e["event"] == "step"]
        lr = next(p for p in shown(screen) if p.title.startswith("learning rate"))
        assert lr.title == "learning rate"  # not smoothed, so no EMA in its title
        assert lr.series[0].ys[-1] == pytest.approx(steps[-1]["lr"])
        assert f"{steps[-1]['lr']:.1e}" in plain(lr.border_title)
        loss = next(p for p in shown(screen) if p.title.startswith("loss"))
        assert "EMA" in loss.title  # the noisy loss is smoothed…
        assert loss.series[0].ys[-1] != pytest.approx(steps[-1]["loss"])
        assert f"{steps[-1]['loss']:.4g}" in plain(loss.border_title)  # …the logged value
        values = str(screen.query_one("#run-values", Static).render())
        assert "1 torch compute thread" in values


# ---------------------------------------------------------------- the event log


@pytest.mark.parametrize("size", SIZES)
async def test_the_event_log_keeps_four_lines(replayable, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        lines = screen.query_one("#event-lines")
        assert lines.region.height >= 4, lines.region
        assert lines.region.bottom <= size[1] - 1  # above the footer
        for plot in shown(screen):
            assert plot.region.height >= 6, plot.region  # the charts keep a curve


# ---------------------------------------------------------------- a resumed run


async def test_a_resumed_runs_replay_shows_the_whole_runs_time_and_rate(replayable):
    ends = [e for e in events(replayable) if e["event"] == "end"]
    assert len(ends) == 2
    seconds = sum(e["train_seconds"] for e in ends)
    rate = sum(e["real_tokens"] for e in ends) / seconds
    app = TofyApp()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_replay(pilot, replayable)
        assert screen.history.elapsed == pytest.approx(seconds)
        line = str(screen.query_one("#progress-line", Static).render())
        assert f"{rate:,.0f} tok/s overall" in line, line
        assert rate != pytest.approx(ends[-1]["real_tokens_per_s"], rel=1e-3)


# ---------------------------------------------------------------- log scale and x axis


def y_ticks(plot: MetricPlot) -> list[str]:
    """The numbers left of the frame (`300┤`), as drawn."""
    return re.findall(r"^\s*([-\d.e+]+[kMG]?)┤", plot.render().plain, flags=re.MULTILINE)


@pytest.mark.parametrize("size", SIZES)
async def test_a_chart_goes_to_a_log_scale_and_stays_there(replayable, size):
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        loss, accuracy = shown(screen)[:2]
        linear = y_ticks(loss)
        await pilot.press("Y")  # the selected chart: the first
        assert loss.title.startswith("loss") and loss.log_y and "· log" in plain(loss.border_title)
        ticks = [float(t) for t in y_ticks(loss)]
        assert ticks and ticks != linear
        leading = [round(t / 10 ** math.floor(math.log10(t)), 6) for t in ticks]
        assert set(leading) <= {1, 2, 5}, ticks  # 1 · 2 · 5 · 10 · 20: a true log scale
        assert not accuracy.log_y
        await pilot.press("c", "Y")  # select the next chart: it goes to log too
        assert accuracy.log_y and "-selected" in accuracy.classes
        assert chart_prefs.load().monitor_log == {"loss", "held-out"}
        await pilot.press("Y")
        assert not accuracy.log_y
        await pilot.click("#plot-0")  # a click selects a chart too
        assert "-selected" in loss.classes and "-selected" not in accuracy.classes
    app = TofyApp()  # a new session draws the loss on a log scale again
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        assert shown(screen)[0].log_y and not shown(screen)[1].log_y


async def test_a_log_scale_leaves_out_values_not_above_zero_and_says_so():
    class One(App):
        def compose(self) -> ComposeResult:
            yield MetricPlot("align")

    async with One().run_test(size=(80, 16)) as pilot:
        plot = pilot.app.query_one(MetricPlot)
        plot.draw([Series("align", [1, 2, 3, 4], [0.0, -1.0, 0.5, 0.05])], log_y=True)
        await pilot.pause()
        assert "align · log (2 ≤ 0 left out)" in plain(plot.border_title)
        assert min(float(t) for t in y_ticks(plot)) <= 0.05  # the 0.05 is drawn
        plot.draw([Series("align", [1, 2], [0.0, -1.0])], log_y=True)
        await pilot.pause()
        assert "no value above 0" in plot.render().plain


@pytest.mark.parametrize("size", SIZES)
async def test_the_x_axis_cycles_step_tokens_seen_wall_time(replayable, size):
    log = events(replayable)
    steps = [e for e in log if e["event"] == "step"]
    second = [i for i, e in enumerate(log) if e["event"] == "start"][1]
    resumed_at = log[second]["resumed_from"]
    first = [e for e in log[:second] if e["event"] == "step" and e["step"] <= resumed_at]
    base = first[-1]["real_tokens"]  # the tokens that trained the weights it resumed from
    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        bar = screen.query_one("#plots-bar", Static)
        assert "x: step" in str(bar.render())
        await pilot.press("t")
        assert "x: tokens seen" in str(bar.render())
        xs = shown(screen)[0].series[0].xs
        assert xs == sorted(xs) and xs[-1] == pytest.approx(base + steps[-1]["real_tokens"])
        await pilot.press("t")
        assert "x: wall time" in str(bar.render())
        xs = shown(screen)[0].series[0].xs
        assert xs[-1] == pytest.approx(steps[-1]["time"] - log[0]["time"])
        await pilot.press("t", "t")
        assert "x: tokens seen" in str(bar.render())
    assert chart_prefs.load().monitor_x == "tokens"  # remembered for the next session


# ---------------------------------------------------------------- the Models comparison

SAME_NAME = "lr-sweep-3e-4-warmup-200"  # two runs called the same, as a sweep leaves them


@pytest.fixture
def same_named_runs(tmp_path_factory) -> Path:
    from models_runs import copy_runs, train_session_runs

    folder = copy_runs(train_session_runs(tmp_path_factory))
    for run in ("alpha", "beta"):
        info = json.loads((folder / run / "run.json").read_text())
        (folder / run / "run.json").write_text(json.dumps({**info, "name": SAME_NAME}))
    return folder


@pytest.mark.parametrize("size", SIZES)
async def test_the_comparison_names_each_run_and_has_log_and_x_axis_keys(same_named_runs, size):
    from tofy_tui.screens.models import ModelsScreen
    from tofy_tui.widgets.run_compare import RunCompare

    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: len(screen.shown) == 2, "two runs listed")
        await pilot.press("space", "down", "space", "c")
        compare = screen.query_one(RunCompare)
        await wait_until(pilot, lambda: compare.drawn.get("metric") == 2, "two loss lines")
        plot = screen.query_one("#compare-metric", MetricPlot)
        labels = [line.label for line in plot.series]
        assert sorted(labels) == [f"{SAME_NAME} · alpha", f"{SAME_NAME} · beta"]
        text = legend_text(plot)
        assert fits(plot), (plot.size.width, text)
        assert "alpha" in text and "beta" in text and SAME_NAME[:6] in text, (plot.size, text)

        await pilot.press("Y")
        assert plot.log_y and "· log" in plain(plot.border_title)
        await pilot.press("t")  # step → tokens seen
        assert "by tokens seen" in plot.title
        alpha = next(line for line in plot.series if line.label.endswith("alpha"))
        assert alpha.xs == sorted(alpha.xs) and alpha.xs[-1] > 30  # tokens, not steps
        await pilot.press("t")
        assert "by wall time" in plot.title
    prefs = chart_prefs.load()
    assert prefs.compare_log and prefs.compare_x == "time"  # remembered


@pytest.mark.parametrize("size", SIZES)
async def test_the_chart_keys_are_named_above_the_plots_and_in_the_help(replayable, size):
    from tofy_tui.screens.help import HelpScreen

    app = TofyApp()
    async with app.run_test(size=size) as pilot:
        screen = await open_replay(pilot, replayable)
        bar = screen.query_one("#plots-bar", Static)
        line = str(bar.render())
        assert bar.region.width >= len(line)  # nothing cut
        assert all(key in line.split("x: step")[1] for key in ("m", "e", "t", "c", "Y"))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Y puts it on a log scale" in help_text and "t switches the x axis" in help_text
