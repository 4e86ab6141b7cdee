"""The monitor's plots: as many as the space holds (up to a 2×2 grid, one at 80×24 height
allowing two side by side), each with its own scale and title; `m` pages through the sets of
charts (tofy_tui/plot_catalog.py) and `e` cycles the EMA smoothing. Nothing is computed per
event: the screen asks for a redraw once a second."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from tofy_tui.history import SMOOTHING, RunHistory
from tofy_tui.plot_catalog import Page, chart, pages
from tofy_tui.widgets.metric_plot import MetricPlot

SLOTS = 4
MIN_WIDTH = 34  # a plot narrower than this has no room for its ticks and its title
MIN_HEIGHT = 8  # title, frame, a few rows of curve, x ticks


def fitting_slots(width: int, height: int) -> tuple[int, int]:
    """(columns, rows) of plots that fit readably; at least one plot, whatever the size."""
    columns = 2 if width >= 2 * MIN_WIDTH else 1
    rows = 2 if height >= 2 * MIN_HEIGHT else 1
    return columns, rows


class PlotGrid(Vertical):
    """A line saying which set is shown, then the grid of plots."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = RunHistory()
        self.page_index = 0
        self.smoothing = SMOOTHING[1]
        self.shape = (2, 2)  # columns, rows that fit
        self.page: Page | None = None

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
        shape = fitting_slots(event.size.width, event.size.height - 1)
        if shape != self.shape:
            self.shape = shape
            self.draw(self.history)

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

    def draw(self, history: RunHistory) -> None:
        """Fill the plots with the current page's charts; slots without one are hidden."""
        self.history = history
        found = pages(history, self.slots)
        self.page_index %= len(found)
        page = self.page = found[self.page_index]
        shown = len(page.charts) or 1
        for slot, plot in enumerate(self.plots):
            plot.display = slot < shown
            if slot < len(page.charts):
                drawn = chart(history, page.charts[slot], self.smoothing)
                plot.draw(drawn.series, drawn.title, drawn.floor_zero)
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
        text.append("   m more plots · e smoothing", style="dim")
        return text
