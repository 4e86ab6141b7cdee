"""The live training monitor: title, progress, four plots (loss, held-out accuracy, memory,
schedule), a line of current values, the run's error if it failed, and the last events."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from tofy_core.format import format_bytes, format_count
from tofy_tui.history import RunHistory
from tofy_tui.messages import RunEnd
from tofy_tui.widgets.event_log import EventLog
from tofy_tui.widgets.metric_plot import MetricPlot
from tofy_tui.widgets.run_progress import RunProgress


class RunMonitor(Vertical):
    """Renders a `RunHistory`; the screen feeds it events and asks it to redraw."""

    def __init__(self, idle_text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._idle_text = idle_text  # the title until a run begins

    def compose(self) -> ComposeResult:
        yield Static(self._idle_text, id="run-title", markup=False)
        yield RunProgress(id="run-progress")
        yield Static("", id="run-error", markup=False)
        with Grid(id="plots"):
            yield MetricPlot("loss (smoothed)", id="plot-loss")
            yield MetricPlot("accuracy %", id="plot-accuracy")
            yield MetricPlot("memory", id="plot-memory")
            yield MetricPlot("lr (left) · momentum (right)", id="plot-schedule")
        yield Static("", id="run-values", markup=False)
        yield EventLog(id="events")

    def on_mount(self) -> None:
        self.query_one("#run-error").display = False

    def begin(self, run_id: str, how: str) -> None:
        """Clear everything for a new run."""
        self.query_one("#run-title", Static).update(Text(f"{how} run {run_id}"))
        self.query_one("#run-error", Static).display = False
        self.query_one(RunProgress).reset()
        self.query_one(EventLog).clear()
        self.query_one("#run-values", Static).update("")
        for plot in self.query(MetricPlot):
            plot.draw([])

    def add_events(self, events: list[dict[str, Any]]) -> None:
        self.query_one(EventLog).add_events(events)

    def note(self, text: str) -> None:
        self.query_one(EventLog).note(text)

    def show_progress(self, history: RunHistory, status: str) -> None:
        self.query_one(RunProgress).show(history, status)
        self.query_one("#run-values", Static).update(self._values(history))

    def redraw(self, history: RunHistory) -> None:
        self.query_one("#plot-loss", MetricPlot).draw(history.loss_series())
        self.query_one("#plot-accuracy", MetricPlot).draw(history.accuracy_series())
        title, memory = history.memory_series()
        self.query_one("#plot-memory", MetricPlot).draw(memory, title)
        self.query_one("#plot-schedule", MetricPlot).draw(history.schedule_series())

    def show_end(self, end: RunEnd) -> None:
        error = self.query_one("#run-error", Static)
        error.display = bool(end.error)
        if end.error:
            error.update(Text(f"{end.status}: {end.error}"))

    @staticmethod
    def _values(history: RunHistory) -> Text:
        text = Text()
        start, last = history.start, history.last_step
        if start is not None:
            text.append(f"{format_count(int(start.get('parameters', 0)))} params")
            text.append(f" · {start.get('device', '?')}")
            threads = start.get("threads")
            if isinstance(threads, int) and threads > 0:
                text.append(f" · {threads} CPU thread{'s' if threads != 1 else ''}")
        if last is not None:
            text.append(f" · lr {float(last.get('lr', 0)):.2e}")
            text.append(f" · momentum {float(last.get('momentum', 0)):.5f}")
            text.append(f" · collapse {float(last.get('collapse', 0)):.3f}")
            if last.get("mem_kind") == "cuda":
                text.append(
                    f" · CUDA alloc {format_bytes(float(last.get('mem_allocated', 0)))}"
                    f" / reserved {format_bytes(float(last.get('mem_reserved', 0)))}"
                )
            elif last.get("mem_kind") == "rss":
                text.append(f" · RSS {format_bytes(float(last.get('mem_rss', 0)))} (CPU)")
        if history.last_eval is not None:
            text.append(f" · held-out top-10 {float(history.last_eval.get('top10', 0)):.1%}")
        return text
