"""Several runs overlaid: the chosen metric and the held-out top-10, one line per run with a
legend naming each run (`name · id` where names repeat), x by step, tokens seen or wall time,
the metric's chart on a log scale if asked. The screen picks the runs, the metric and the axis."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tofy_core.runs.clock import AXIS_NAMES
from tofy_core.runs.metrics import MetricSeries
from tofy_tui.history import Series
from tofy_tui.widgets.metric_plot import MetricPlot

TOP10 = "eval/top10"
BOTH_WIDTH = 90  # the two charts side by side from this many columns
NAME_WIDTH = 28  # a run's name is cut (`…`) only beyond this; the legend shortens it further
# only when the chart is too narrow for it


def run_labels(runs: list[tuple[str, str]]) -> list[str]:
    """A legend label per (name, id): the name, `name · id` when another run has that name."""
    names = [name for name, _ in runs]
    labels = []
    for name, run_id in runs:
        shown = name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"
        labels.append(f"{shown} · {run_id}" if names.count(name) > 1 else shown)
    return labels


def overlay(
    runs: list[tuple[str, dict[str, MetricSeries]]], metric: str, x: str = "step"
) -> list[Series]:
    """One line per run that carries `metric` (top-10 shown in %) against `x`: step, tokens
    (points without a count left out) or time."""
    scale = 100.0 if metric.startswith("eval/top") else 1.0
    lines = []
    for label, metrics in runs:
        series = metrics.get(metric)
        if series is None or not series.values:
            continue
        xs = {"time": series.seconds, "tokens": series.tokens}.get(x, series.steps)
        pairs = [(k, v * scale) for k, v in zip(xs, series.values, strict=False) if k == k]
        if pairs:
            lines.append(Series(label, [p[0] for p in pairs], [p[1] for p in pairs]))
    return lines


class RunCompare(Vertical):
    """The compare pane; `drawn` counts the lines of each plot (tests and the title)."""

    DEFAULT_CSS = """
    RunCompare { height: 1fr; }
    RunCompare #compare-plots { height: 1fr; }
    RunCompare MetricPlot { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drawn: dict[str, int] = {}

    def on_resize(self) -> None:
        """Too narrow for two charts side by side with their legends: the chosen metric alone
        (the held-out top-10 is one `m` away as a metric)."""
        self.query_one("#compare-top10", MetricPlot).display = self.size.width >= BOTH_WIDTH

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title", markup=False)
        with Horizontal(id="compare-plots"):
            yield MetricPlot("metric", id="compare-metric")
            yield MetricPlot("held-out top-10 %", id="compare-top10")

    def draw(
        self,
        runs: list[tuple[str, dict[str, MetricSeries]]],
        metric: str,
        names: list[str],
        pattern: str,
        x: str = "step",
        log_y: bool = False,
    ) -> None:
        axis = AXIS_NAMES.get(x, x)
        chosen = overlay(runs, metric, x)
        top10 = overlay(runs, TOP10, x)
        plot = self.query_one("#compare-metric", MetricPlot)
        missing = not chosen and x != "step" and overlay(runs, metric)
        note = f" · no {axis} logged (t: step)" if missing else ""  # runs older than the axis
        plot.draw(chosen, f"{metric} by {axis}{note}", log_y=log_y)
        self.query_one("#compare-top10", MetricPlot).draw(top10, f"held-out top-10 % by {axis}")
        self.drawn = {"metric": len(chosen), "top10": len(top10)}
        title = Text(f"Comparing {len(runs)} runs · metric {metric} ", style="bold")
        title.append(f"({len(names)} match filter {pattern or '*'!r}: ")
        title.append("m next, g filter, t x axis, Y log)")
        self.query_one("#compare-title", Static).update(title)
