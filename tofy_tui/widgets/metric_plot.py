"""A small line plot of one family of metrics, redrawn from already downsampled series."""

from __future__ import annotations

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tofy_tui.history import Series


class MetricPlot(PlotextPlot):
    """Draws the `Series` it is given; it does not compute them."""

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.points = 0  # how many points the last draw showed (tests and the status line)
        self._drawn = 0  # bumped by each draw: the cached render is kept until then
        self._cache: tuple[tuple, RenderResult] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.draw([])

    def draw(self, series: list[Series], title: str | None = None) -> None:
        if title is not None:
            self.title = title
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        self.points = 0
        for line in series:
            if not line.xs:
                continue
            plt.plot(
                line.xs,
                line.ys,
                label=line.label,
                marker="braille",
                yside="right" if line.right else "left",
            )
            self.points += len(line.xs)
        if not self.points:
            plt.title(f"{self.title} — waiting for data")
        else:
            ticks = step_ticks([x for line in series for x in line.xs])
            plt.xticks(ticks, [f"{tick:,}" for tick in ticks])
        self._drawn += 1
        self.refresh()

    def render(self) -> RenderResult:
        """Plotext rebuilds the whole chart on each call: reuse it while nothing changed
        (a screen switch repaints every widget)."""
        key = (self.size, self._drawn, self.app.theme, self.theme)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, super().render())
        return self._cache[1]


def step_ticks(xs: list[float], count: int = 5) -> list[int]:
    """Whole-number ticks spread over the steps shown (steps are never fractional)."""
    lo, hi = min(xs), max(xs)
    return sorted({round(lo + (hi - lo) * i / (count - 1)) for i in range(count)})
