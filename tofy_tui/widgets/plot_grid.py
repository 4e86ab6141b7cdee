"""The monitor's plots: as many as the space holds (up to a 2×2 grid, one at 80×24 height
allowing two side by side), each with its own scale and title; `m` pages through the sets of
charts (tofy_tui/plot_catalog.py), `e` cycles the EMA smoothing, `t` the x axis (step, tokens
seen, wall time), `c` selects a chart (a click does too) and `Y` turns its log scale on or off.
The x axis and the log scales are remembered (tofy_tui/chart_prefs.py). Nothing is computed
per event: the screen asks for a redraw once a second."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from tofy_core.runs.clock import AXES, AXIS_NAMES
from tofy_tui import chart_prefs
from tofy_tui.history import SMOOTHING, RunHistory
from tofy_tui.plot_catalog import Page, chart, pages
from tofy_tui.widgets.metric_plot import MetricPlot

SLOTS = 4
HINTS = (
    "   m more · e smooth · t x axis · c/click chart · Y log",
    "   m more · e smooth · t x · c chart · Y log",
    "  m e t c Y",
)
MIN_WIDTH = 34  # a plot narrower than this has no room for its ticks and its title
MIN_HEIGHT = 8  # title, frame, a few rows of curve, x ticks


def fitting_slots(width: int, height: int) -> tuple[int, int]:
    """(columns, rows) of plots that fit readably; at least one plot, whatever the size."""
    columns = 2 if width >= 2 * MIN_WIDTH else 1
    rows = 2 if height >= 2 * MIN_HEIGHT else 1
    return columns, rows


def unlogged_note(history: RunHistory, name: str, series: list, x: str) -> str:
    """What a chart empty on this x axis but not by step says (a run older than the axis)."""
    if x == "step" or any(line.xs for line in series):
        return ""
    if not any(line.xs for line in chart(history, name, 0.0).series):
        return ""
    return f" · no {AXIS_NAMES[x]} logged (t: step)"


class PlotGrid(Vertical):
    """A line saying which set is shown, then the grid of plots."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = RunHistory()
        self.page_index = 0
        self.smoothing = SMOOTHING[1]
        self.shape = (2, 2)  # columns, rows that fit
        self.page: Page | None = None
        self.prefs = chart_prefs.load()
        self.selected = 0  # the slot `Y` acts on

    def compose(self) -> ComposeResult:
        yield Static("", id="plots-bar")
        with Grid(id="plots"):
            for slot in range(SLOTS):
                yield MetricPlot("", id=f"plot-{slot}")

    @property
    def slots(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def plots(self) -> list[MetricPlot]:
        return list(self.query_one("#plots").query(MetricPlot).results(MetricPlot))

    def on_resize(self, event: events.Resize) -> None:
        self.shape = fitting_slots(event.size.width, event.size.height - 1)
        self.draw(self.history)  # the plots that fit, and the keys the line above them fits

    def next_page(self, step: int = 1) -> str:
        """Show the next (or previous) set of charts; returns its name."""
        self.page_index += step
        self.draw(self.history)
        return self.page.name if self.page is not None else ""

    def cycle_smoothing(self) -> float:
        """Off → 0.6 → 0.9 → off; returns the new EMA weight."""
        self.smoothing = SMOOTHING[(SMOOTHING.index(self.smoothing) + 1) % len(SMOOTHING)]
        self.draw(self.history)
        return self.smoothing

    def cycle_x(self) -> str:
        """step → tokens seen → wall time → step; returns the new axis' name."""
        axis = AXES[(AXES.index(self.prefs.monitor_x) + 1) % len(AXES)]
        self.prefs.monitor_x = axis
        self._save()
        self.draw(self.history)
        return AXIS_NAMES[axis]

    def select_next(self) -> str:
        """Select the next chart shown; returns its title."""
        shown = [plot for plot in self.plots if plot.display]
        self.selected = (self.selected + 1) % max(1, len(shown))
        self.draw(self.history)
        return shown[self.selected].title if shown else ""

    def toggle_log(self) -> tuple[str, bool]:
        """The selected chart's log scale on or off: (its title, on)."""
        if self.page is None or not self.page.charts:
            return "", False
        name = self.page.charts[min(self.selected, len(self.page.charts) - 1)]
        self.prefs.monitor_log ^= {name}
        self._save()
        self.draw(self.history)
        return self.plots[self.selected].title, name in self.prefs.monitor_log

    def on_click(self, event: events.Click) -> None:
        """A click on a chart selects it (`Y` then acts on it)."""
        widget = event.widget
        if isinstance(widget, MetricPlot) and widget in self.plots:
            self.selected = self.plots.index(widget)
            self.draw(self.history)

    def _save(self) -> None:
        if problem := chart_prefs.save(self.prefs):
            self.notify(problem, severity="warning", markup=False)

    def draw(self, history: RunHistory) -> None:
        """Fill the plots with the current page's charts; slots without one are hidden."""
        self.history = history
        found = pages(history, self.slots)
        self.page_index %= len(found)
        page = self.page = found[self.page_index]
        shown = len(page.charts) or 1
        self.selected = min(self.selected, shown - 1)
        x = self.prefs.monitor_x
        for slot, plot in enumerate(self.plots):
            plot.display = slot < shown
            plot.set_class(slot == self.selected and shown > 1, "-selected")
            if slot < len(page.charts):
                name = page.charts[slot]
                drawn = chart(history, name, self.smoothing, x)
                title = drawn.title + unlogged_note(history, name, drawn.series, x)
                log = name in self.prefs.monitor_log
                plot.draw(drawn.series, title, drawn.floor_zero, log)
            elif slot == 0:
                plot.draw([], "no numeric field logged yet")
        columns = min(self.shape[0], shown)
        grid = self.query_one("#plots", Grid)
        grid.styles.grid_size_columns = columns
        grid.styles.grid_size_rows = min(self.shape[1], -(-shown // columns))
        self.query_one("#plots-bar", Static).update(self._bar(page))

    def _bar(self, page: Page) -> Text:
        text = Text()
        text.append("plots ", style="dim")
        text.append(page.name, style="bold")
        text.append(f" · EMA {self.smoothing:g}" if self.smoothing else " · unsmoothed")
        text.append(f" · x: {AXIS_NAMES[self.prefs.monitor_x]}")
        for keys in HINTS:  # the widest list of the keys that fits
            if text.cell_len + len(keys) <= self.size.width or keys == HINTS[-1]:
                text.append(keys, style="dim")
                break
        return text
