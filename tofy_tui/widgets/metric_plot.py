"""A small line plot of one metric (or a few sharing a unit), redrawn from already downsampled
series. Its title and legend sit in the top border, outside the curves, each series named in
its line's colour with its latest value; ticks are round numbers (tofy_tui/ticks.py)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tofy_tui.history import Series
from tofy_tui.ticks import step_label, step_ticks, y_axis

# Line colours, as RGB so the legend's text matches the plotted line in either theme.
COLOURS = ((64, 156, 255), (255, 150, 50), (60, 190, 110), (210, 90, 200), (230, 200, 40))
MARKER = "hd"  # half blocks: a solid line (braille's dots read as a scatter in many fonts)
ROWS_PER_TICK = 3


class MetricPlot(PlotextPlot):
    """Draws the `Series` it is given; it does not compute them."""

    DEFAULT_CSS = """
    MetricPlot {
        border-top: solid $panel-lighten-2;
        border-title-align: left;
        border-title-color: $text;
        min-height: 4;
    }
    """

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.points = 0  # how many points the last draw showed (tests and the status line)
        self.series: list[Series] = []
        self.floor_zero = False
        self._drawn = 0  # bumped by each draw: the cached render is kept until then
        self._cache: tuple[tuple, RenderResult] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.draw([])

    def draw(self, series: list[Series], title: str | None = None, floor_zero: bool = False):
        """Show `series` from the next frame; `floor_zero` starts the y axis at 0 (memory, %,
        rates: a flat line reads flat)."""
        if title is not None:
            self.title = title
        self.series = [line for line in series if line.xs]
        self.floor_zero = floor_zero
        self.points = sum(len(line.xs) for line in self.series)
        self.border_title = legend(self.title, self.series)
        self._drawn += 1
        self.refresh()

    def render(self) -> RenderResult:
        """Plotext rebuilds the whole chart on each call: reuse it while nothing changed
        (a screen switch repaints every widget)."""
        key = (self.size, self._drawn, self.app.theme, self.theme)
        if self._cache is None or self._cache[0] != key:
            self._build()
            self._cache = (key, super().render())
        return self._cache[1]

    def _build(self) -> None:
        """The chart for the current size: ticks depend on how many rows there are."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.points:
            plt.title("waiting for data")
            return
        for index, line in enumerate(self.series):
            colour = COLOURS[index % len(COLOURS)]
            plt.plot(line.xs, line.ys, marker=MARKER, color=colour)
        ys = [y for line in self.series for y in line.ys]
        count = max(2, min(6, (self.size.height - 2) // ROWS_PER_TICK + 1))
        axis = y_axis(min(ys), max(ys), count, self.floor_zero)
        plt.ylim(axis.low, axis.high)
        plt.yticks(axis.ticks, axis.labels)
        xs = [x for line in self.series for x in line.xs]
        ticks = step_ticks(xs, max(2, min(6, self.size.width // 12)))
        plt.xticks(ticks, [step_label(tick) for tick in ticks])
        if min(xs) == max(xs):
            plt.xlim(min(xs) - 1, max(xs) + 1)


def legend(title: str, series: list[Series]) -> Text:
    """`title  ━ a 1.25  ━ b 3.0`: each series in its line's colour, with its latest value."""
    text = Text(title, style="bold")
    if not series:
        text.append(" — waiting for data", style="dim")
    for index, line in enumerate(series):
        r, g, b = COLOURS[index % len(COLOURS)]
        text.append("  ━ " if len(series) > 1 else "  ", style=f"rgb({r},{g},{b})")
        if len(series) > 1:
            text.append(f"{line.label} ")
        text.append(short(line.ys[-1]), style=f"bold rgb({r},{g},{b})")
    return text


def short(value: float) -> str:
    """A latest value in four significant digits: `12.35`, `0.0412`, `1.2e-05`, `23,101`."""
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"
