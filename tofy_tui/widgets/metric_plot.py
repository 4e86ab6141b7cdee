"""A small line plot of one metric (or a few sharing a unit), redrawn from already downsampled
series. Its title and legend sit in the top border, outside the curves, each series named in
its line's colour with its latest logged value; when they do not fit the width the legend moves
to a line under the chart, its labels shortened until it fits. Ticks are round numbers
(tofy_tui/ticks.py); `log_y` draws a true log scale (values ≤ 0 left out, said in the title)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tofy_tui.history import Series
from tofy_tui.ticks import log_axis, step_label, step_ticks, y_axis

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
    MetricPlot.-selected {
        border-top: solid $accent;
    }
    MetricPlot.-legend-below {
        border-bottom: solid $panel-lighten-2;
        border-subtitle-align: left;
        border-subtitle-color: $text;
    }
    """

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.points = 0  # how many points the last draw showed (tests and the status line)
        self.series: list[Series] = []
        self.floor_zero = False
        self.log_y = False
        self.skipped = 0  # values ≤ 0 a log scale leaves out
        self._drawn = 0  # bumped by each draw: the cached render is kept until then
        self._cache: tuple[tuple, RenderResult] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.draw([])

    def draw(
        self,
        series: list[Series],
        title: str | None = None,
        floor_zero: bool = False,
        log_y: bool = False,
    ):
        """Show `series` from the next frame; `floor_zero` starts the y axis at 0 (memory, %,
        rates: a flat line reads flat); `log_y` plots log10 of the positive values."""
        if title is not None:
            self.title = title
        self.series = [line for line in series if line.xs]
        self.floor_zero = floor_zero
        self.log_y = log_y
        self.skipped = sum(y <= 0 for line in self.series for y in line.ys) if log_y else 0
        self.points = sum(len(line.xs) for line in self.series)
        self._label()
        self._drawn += 1
        self.refresh()

    def on_resize(self) -> None:
        self._label()

    @property
    def heading(self) -> str:
        """The title with the scale's note: `loss · log`, `… · log (3 ≤ 0 left out)`."""
        if not self.log_y:
            return self.title
        return self.title + (f" · log ({self.skipped} ≤ 0 left out)" if self.skipped else " · log")

    def _label(self) -> None:
        """Title and legend in the top border when they fit, else the legend on a line below."""
        room = self.size.width - 4 if self.size.width else 10_000
        whole = legend(self.heading, self.series)
        below = bool(self.series) and whole.cell_len > room
        self.set_class(below, "-legend-below")
        if below:
            self.border_title = Text(self.heading, style="bold")
            self.border_subtitle = fitted_legend(self.series, room)
        else:
            self.border_title = whole
            self.border_subtitle = None

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
        count = max(2, min(6, (self.size.height - 2) // ROWS_PER_TICK + 1))
        lines = [(line.xs, line.ys) for line in self.series]
        if self.log_y:
            lines = [_positive_log(xs, ys) for xs, ys in lines]
        for index, (xs, ys) in enumerate(lines):
            if xs:
                plt.plot(xs, ys, marker=MARKER, color=COLOURS[index % len(COLOURS)])
        ys = [y for _, line in lines for y in line]
        if not ys:
            plt.title("no value above 0 to draw on a log scale")
            return
        if self.log_y:
            axis = log_axis(10 ** min(ys), 10 ** max(ys), count)
        else:
            axis = y_axis(min(ys), max(ys), count, self.floor_zero)
        plt.ylim(axis.low, axis.high)
        plt.yticks(axis.ticks, axis.labels)
        xs = [x for line in self.series for x in line.xs]
        ticks = step_ticks(xs, max(2, min(6, self.size.width // 12)))
        plt.xticks(ticks, [step_label(tick) for tick in ticks])
        if min(xs) == max(xs):
            plt.xlim(min(xs) - 1, max(xs) + 1)


def _positive_log(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, math.log10(y)) for x, y in zip(xs, ys, strict=True) if y > 0]
    return [p[0] for p in pairs], [p[1] for p in pairs]


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
        text.append(short(line.last), style=f"bold rgb({r},{g},{b})")
    return text


# How a legend line shrinks to fit: (gap, short labels, significant digits); at each, labels
# are cut (`…`) only as far as the room needs, never below MIN_LABEL cells.
SHRINK = ((" ━ ", False, 4), (" ━ ", True, 4), (" ━", True, 3))
MIN_LABEL = 6
ID_MARK = " · "  # `name · id`: a run told apart from another of its name by its id


def fitted_legend(series: list[Series], room: int) -> Text:
    """Every series named, in its colour, with its latest value: the widest form that fits
    `room` cells (shorter labels, then labels cut with `…`), the narrowest one otherwise."""
    for gap, use_short, digits in SHRINK:  # whole labels, as long as one form fits
        labels = [(line.short or line.label) if use_short else line.label for line in series]
        text = _legend_line(series, labels, gap, digits)
        if text.cell_len <= room:
            return text
    for longest in range(max(map(len, labels)), MIN_LABEL - 1, -1):  # then cut, only so far
        text = _legend_line(series, [cut(label, longest) for label in labels], gap, digits)
        if text.cell_len <= room:
            break
    return text


def _legend_line(series: list[Series], labels: list[str], gap: str, digits: int) -> Text:
    text = Text(no_wrap=True)
    for index, (line, label) in enumerate(zip(series, labels, strict=True)):
        r, g, b = COLOURS[index % len(COLOURS)]
        text.append(gap if index else gap.lstrip(), style=f"rgb({r},{g},{b})")
        text.append(f"{label} ")
        text.append(short(line.last, digits), style=f"bold rgb({r},{g},{b})")
    return text


def cut(label: str, longest: int) -> str:
    """At most `longest` cells, `…` where cut; a `name · id` label keeps its id whole."""
    if len(label) <= longest:
        return label
    name, mark, run_id = label.rpartition(ID_MARK)
    if mark and len(run_id) + 3 < longest:
        return name[: longest - len(run_id) - 2] + "…·" + run_id
    return label[: longest - 1] + "…"


def short(value: float, digits: int = 4) -> str:
    """A latest value in four significant digits: `12.35`, `0.0412`, `1.2e-05`, `23,101`."""
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"
