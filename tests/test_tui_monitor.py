"""The Train screen's monitor as a user reads it: replaying a finished run's curves, plots on
their own readable scales, the keys that page through the metrics and smooth them, the event
log that keeps the last evaluation in view, and a small terminal that shows fewer plots rather
than empty boxes. The system panel's tests are in test_tui_system.py."""

from __future__ import annotations

import math
import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import TINY_MODEL_ARGS, run_cli
from textual.widgets import Button, Static
from tui_pilot import SIZE, log_text, wait_until

from tofy_core import paths
from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.history import RunHistory
from tofy_tui.plot_catalog import EVERY_FIELD, pages
from tofy_tui.points import KEEP
from tofy_tui.screens.watch import WatchScreen
from tofy_tui.widgets.event_log import EventLog
from tofy_tui.widgets.metric_plot import MetricPlot

STEPS = 40


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_corpus_module) -> Path:
    """A tiny run trained to the end once (logging every 2 steps, evaluating every 10), copied
    into each test's own TOFY_HOME by `replayable`."""
    home = tmp_path_factory.mktemp("replay_home")
    args = ["--steps", str(STEPS), "--log-every", "2", "--eval-every", "10", "--threads", "1"]
    done = run_cli("train", str(tiny_corpus_module), *args, *TINY_MODEL_ARGS, TOFY_HOME=str(home))
    assert done.returncode == 0, done.stderr
    (folder,) = (home / "data" / "runs").iterdir()
    return folder


@pytest.fixture(scope="module")
def tiny_corpus_module(tmp_path_factory) -> Path:
    from conftest import TINY_PHRASES

    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text("\n".join(f"{p}\tok." for p in TINY_PHRASES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def replayable(finished_run) -> str:
    shutil.copytree(finished_run, paths.runs_dir() / finished_run.name)
    return finished_run.name


async def open_replay(pilot, run_id: str):
    """w, then Enter on the run: the monitor replays it."""
    app = pilot.app
    screen = app.screen
    await wait_until(pilot, lambda: screen.ready, "the form and the monitor")
    await pilot.press("escape", "w")
    assert isinstance(app.screen, WatchScreen)
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.history is not None and screen.history.end, "events")
    assert screen.watched_id == run_id
    await wait_until(pilot, lambda: not screen.watched.stale, "the plots' redraw (1 s timer)")
    return screen


def shown_plots(screen) -> list[MetricPlot]:
    return [plot for plot in screen.query(MetricPlot) if plot.display]


def drawn(plot: MetricPlot) -> str:
    """The chart's characters as the terminal shows them."""
    return plot.render().plain  # type: ignore[union-attr]


# ---------------------------------------------------------------- replay


async def test_replay_of_a_finished_run_draws_its_curves(replayable):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replay(pilot, replayable)
        assert screen.status == "finished" and not screen.watched.active
        history = screen.history
        assert len(history.steps) == STEPS // 2 and history.eval_steps == [10.0, 20.0, 30.0, 40.0]
        assert screen.query_one("#stop", Button).disabled  # nothing to stop
        titles = [plot.title for plot in shown_plots(screen)]
        assert titles == [
            "loss · EMA 0.6",
            "accuracy %",
            "trainer RSS (MiB)",
            "learning rate",  # a schedule: drawn as logged, never smoothed
        ]
        for plot in shown_plots(screen):
            assert plot.points > 0, plot.title
            assert plot.title in str(plot.border_title)  # the title sits above the curve
        assert "Replaying run" in str(screen.query_one("#run-title", Static).render())
        assert "end: finished at step 40" in log_text(screen)


async def test_replay_skips_a_damaged_line(replayable):
    metrics = paths.runs_dir() / replayable / runs.METRICS_FILE
    lines = metrics.read_text().splitlines(keepends=True)
    lines.insert(5, '{"event": "step", "step": "torn\n')  # half a line, as a crash leaves it
    metrics.write_text("".join(lines))
    app = TofyApp()
    errors: list[str] = []
    app.notify = lambda message, **kw: (
        errors.append(str(message)) if kw.get("severity") == "error" else None
    )  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replay(pilot, replayable)
        assert len(screen.history.steps) == STEPS // 2
        assert all(plot.points > 0 for plot in shown_plots(screen))
    assert errors == []


# ---------------------------------------------------------------- plots


async def test_plots_read_on_their_own_round_scales_and_keys_cycle_them(replayable):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replay(pilot, replayable)
        memory = next(p for p in shown_plots(screen) if "RSS" in p.title)
        ticks = y_ticks(drawn(memory))
        assert ticks and all(float(t) % 50 == 0 for t in ticks), ticks  # 0 · 100 · 200 · …
        assert min(map(float, ticks)) == 0  # from zero: a flat memory line reads flat

        await pilot.press("m")  # the loss parts, each on its own scale
        titles = [plot.title for plot in shown_plots(screen)]
        assert titles[0] == "loss · EMA 0.6"
        assert [t.split(" ")[0] for t in titles[1:]] == ["ce", "mse", "align"]
        assert "×20 in the loss" in titles[2]
        mse, ce = shown_plots(screen)[2], shown_plots(screen)[1]
        assert y_ticks(drawn(mse)) != y_ticks(drawn(ce))  # not one shared axis
        assert "loss parts" in str(screen.query_one("#plots-bar", Static).render())

        await pilot.press("e")  # smoothing: 0.6 → 0.9, named in the titles
        assert shown_plots(screen)[0].title == "loss · EMA 0.9"
        smooth = shown_plots(screen)[0].series[0].ys
        await pilot.press("e")  # → off: the raw values
        assert shown_plots(screen)[0].title == "loss"
        raw = shown_plots(screen)[0].series[0].ys
        assert wiggle(smooth) < wiggle(raw)

        seen: set[str] = set()
        for _ in range(len(pages(screen.history, 4))):
            await pilot.press("m")
            seen |= {plot.title for plot in shown_plots(screen)}
        assert {"steps/s", "held-out mean rank", "eval/words", "real_tokens"} <= seen


def y_ticks(chart: str) -> list[str]:
    """The numbers left of the frame (`300┤`)."""
    return re.findall(r"^\s*([-\d.e]+[kMG]?)┤", chart, flags=re.MULTILINE)


def wiggle(ys: list[float]) -> float:
    return sum(abs(b - a) for a, b in pairwise(ys))


def test_every_numeric_field_of_the_events_is_offered_once():
    history = RunHistory()
    history.add({"event": "step", "step": 1, "steps": 9, "loss": 2.0, "mem_kind": "rss"})
    history.add({"event": "step", "step": 2, "loss": 1.0, "new_metric": 5, "flag": True})
    history.add({"event": "eval", "step": 2, "top1": 0.5, "top10": 0.9, "mean_rank": 3.0})
    every = [c for page in pages(history, 4) if page.group == EVERY_FIELD for c in page.charts]
    assert every == ["loss", "new_metric", "eval/top1", "eval/top10", "eval/mean_rank"]
    assert history.series("new_metric").xs == [2.0]  # first seen at step 2: aligned there


def test_a_long_run_keeps_an_even_resolution_and_its_last_step():
    history = RunHistory()
    for step in range(1, 100_001):
        history.add({"event": "step", "step": step, "loss": float(step)})
    assert len(history.steps) <= KEEP
    gaps = {b - a for a, b in pairwise(history.steps)}
    assert max(gaps) <= 2 * min(gaps)  # the run's start is not squeezed into a few points
    loss = history.series("loss")
    assert loss.xs[-1] == 100_000 and history.step == 100_000
    assert math.isclose(loss.ys[0], (1 + loss.xs[0]) / 2)  # averages of the steps, not samples


# ---------------------------------------------------------------- the event log


async def test_the_last_eval_stays_in_view_and_step_lines_can_be_hidden(replayable):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replay(pilot, replayable)
        last = str(screen.query_one("#last-eval", Static).render())
        assert last.startswith("last eval @ 40: top-1")
        assert any(line.startswith("step ") for line in log_text(screen).splitlines())
        await pilot.press("v")
        shown = log_text(screen).splitlines()
        assert not any(line.startswith("step ") for line in shown)
        assert any(line.startswith("eval @ 10") for line in shown)
        log = screen.query_one(EventLog)
        drawn_lines = [strip.text for strip in log.query_one("#event-lines").lines]
        assert drawn_lines and not any(line.startswith("step ") for line in drawn_lines)
        await pilot.press("v")
        assert any(line.startswith("step ") for line in log_text(screen).splitlines())


async def test_long_log_lines_wrap(replayable):
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, replayable)
        screen.monitor.note("a long note " * 20)
        await pilot.pause()
        rich_log = screen.query_one("#event-lines")
        assert rich_log.virtual_size.width <= rich_log.scrollable_content_region.width
        assert any(s.text.strip().startswith("a long note") for s in rich_log.lines)


# ---------------------------------------------------------------- small terminals


async def test_at_80x24_fewer_plots_each_with_a_title_and_a_curve(replayable):
    app = TofyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replay(pilot, replayable)
        plots = shown_plots(screen)
        first_page = [plot.title for plot in plots]
        assert 1 <= len(plots) <= 2
        for plot in plots:
            assert plot.points > 0 and plot.title
            assert plot.region.height >= 6, plot.region  # room for a curve, not an empty box
            assert plot.title in str(plot.border_title)
        await pilot.press("m")  # the rest of the overview on the next page
        assert shown_plots(screen)[0].title not in first_page
