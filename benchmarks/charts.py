"""What one redraw of the monitor's charts costs on a long run, by x axis and scale.

Builds the history of a resumed run of STEPS logged steps in two sessions (an eval every 100
steps), as the monitor holds it (tofy_tui/history.py: at most a few thousand points per series),
then times, per x axis (step, tokens seen, wall time):
- computing the overview's four charts (tofy_tui/plot_catalog.chart), what the once-a-second
  redraw does before plotting;
- drawing one chart with plotext (MetricPlot in a headless 80×24 app), linear and log.

    python benchmarks/charts.py [--steps 200000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def history(steps: int):
    from tofy_tui.history import RunHistory

    out = RunHistory()
    half = steps // 2
    for session, (first, last) in enumerate(((1, steps * 3 // 4), (half + 1, steps))):
        base = 0 if session == 0 else half
        out.add({"event": "start", "time": 1e6 + session * 1e5, "resumed_from": base})
        for step in range(first, last + 1):
            done = step - base
            event = {
                "event": "step",
                "step": step,
                "steps": steps,
                "time": 1e6 + step,
                "loss": 5.0 / (1 + step / 1000) + (step % 7) / 50,
                "lr": 1e-3 * (1 - step / steps),
                "momentum": 0.996,
                "accuracy": min(1.0, step / steps),
                "mem_kind": "rss",
                "mem_rss": 300 * 2**20,
                "real_tokens": done * 512,
                "train_seconds": done * 0.01,
            }
            out.add(event)
            if step % 100 == 0:
                out.add(
                    {
                        "event": "eval",
                        "step": step,
                        "time": 1e6 + step,
                        "top1": 0.1,
                        "top10": 0.3,
                        "mean_rank": 9.0,
                    }
                )
    return out


def timed(fn, repeats: int) -> float:
    """Median milliseconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def draw_times(hist, repeats: int) -> dict[tuple[str, bool], float]:
    from textual.app import App, ComposeResult

    from tofy_tui.plot_catalog import chart
    from tofy_tui.widgets.metric_plot import MetricPlot

    class One(App):
        def compose(self) -> ComposeResult:
            yield MetricPlot("loss")

    out = {}
    async with One().run_test(size=(80, 24)) as pilot:
        plot = pilot.app.query_one(MetricPlot)
        for x in ("step", "tokens", "time"):
            drawn = chart(hist, "loss", 0.6, x)
            for log in (False, True):

                def once(drawn=drawn, log=log):
                    plot.draw(drawn.series, drawn.title, drawn.floor_zero, log)
                    plot.render()

                out[(x, log)] = timed(once, repeats)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    from tofy_tui.plot_catalog import GROUPS, chart

    start = time.perf_counter()
    hist = history(args.steps)
    print(
        f"history of {args.steps:,} steps built in {time.perf_counter() - start:.1f} s "
        f"({len(hist.steps)} points kept)"
    )
    overview = GROUPS[0][1]
    for x in ("step", "tokens", "time"):
        ms = timed(lambda x=x: [chart(hist, name, 0.6, x) for name in overview], args.repeats)
        print(f"overview charts computed, x={x:<6}: {ms:6.2f} ms")
    for (x, log), ms in asyncio.run(draw_times(hist, args.repeats)).items():
        print(f"loss chart drawn, x={x:<6} {'log' if log else 'linear':<6}: {ms:6.2f} ms")


if __name__ == "__main__":
    main()
