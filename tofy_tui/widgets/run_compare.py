"""Several runs overlaid: the chosen metric and the held-out top-10, one line per run with a
legend, x by step or by wall time. The screen picks the runs, the metric and the axis."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tofy_core.runs.metrics import MetricSeries
from tofy_tui.history import Series
from tofy_tui.widgets.metric_plot import MetricPlot

TOP10 = "eval/top10"


def overlay(
    runs: list[tuple[str, dict[str, MetricSeries]]], metric: str, by_time: bool
) -> list[Series]:
    """One line per run that carries `metric` (top-10 shown in %)."""
    scale = 100.0 if metric.startswith("eval/top") else 1.0
    lines = []
    for label, metrics in runs:
        series = metrics.get(metric)
        if series is None or not series.values:
            continue
        xs = series.seconds if by_time else series.steps
        lines.append(Series(label, list(xs), [v * scale for v in series.values]))
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
        by_time: bool,
    ) -> None:
        axis = "wall time (s)" if by_time else "step"
        chosen = overlay(runs, metric, by_time)
        top10 = overlay(runs, TOP10, by_time)
        self.query_one("#compare-metric", MetricPlot).draw(chosen, f"{metric} by {axis}")
        self.query_one("#compare-top10", MetricPlot).draw(top10, f"held-out top-10 % by {axis}")
        self.drawn = {"metric": len(chosen), "top10": len(top10)}
        title = Text(f"Comparing {len(runs)} runs · metric {metric} ", style="bold")
        title.append(f"({len(names)} match filter {pattern or '*'!r}: m next, g filter, t axis)")
        self.query_one("#compare-title", Static).update(title)
