"""The training monitor: title, progress, the system panel, the plots (each metric on its own
scale, pages of them), a line of current values, the run's error if it failed, the latest
held-out evaluation and the last events. Live runs and replays of finished ones alike."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tofy_core import paths
from tofy_core.format import format_count
from tofy_tui.history import RunHistory
from tofy_tui.messages import RunEnd
from tofy_tui.run_watch import ACTIVE
from tofy_tui.widgets.event_log import EventLog
from tofy_tui.widgets.plot_grid import PlotGrid
from tofy_tui.widgets.run_progress import RunProgress
from tofy_tui.widgets.system_panel import SystemPanel

SHORT = 30  # terminal rows below which the event log gives its height to the plots


class RunMonitor(Vertical):
    """Renders a `RunHistory`; the screen feeds it events and asks it to redraw."""

    def __init__(self, idle_text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._idle_text = idle_text  # the title until a run begins

    def compose(self) -> ComposeResult:
        yield Static(self._idle_text, id="run-title", markup=False)
        yield RunProgress(id="run-progress")
        yield Static("", id="run-error", markup=False)
        yield SystemPanel(id="system")
        yield PlotGrid(id="plot-grid")
        yield Static("", id="run-values", markup=False)
        yield EventLog(id="events")

    def on_mount(self) -> None:
        self.query_one("#run-error").display = False
        self._fit(self.app.size.height)

    def on_resize(self) -> None:
        self._fit(self.app.size.height)

    def _fit(self, rows: int) -> None:
        """On a short terminal the log keeps a few lines and the plots take the rest."""
        self.set_class(rows < SHORT, "-short")

    def begin(self, run_id: str, how: str, live: bool = True) -> None:
        """Clear everything for a new run (`live`: its trainer may be running)."""
        self.query_one("#run-title", Static).update(Text(f"{how} run {run_id}"))
        self.query_one("#run-error", Static).display = False
        self.query_one(RunProgress).reset()
        self.query_one(EventLog).clear()
        self.query_one("#run-values", Static).update("")
        self.query_one(SystemPanel).watch_run(paths.runs_dir() / run_id, live)
        self.query_one(PlotGrid).draw(RunHistory())

    def add_events(self, events: list[dict[str, Any]]) -> None:
        self.query_one(EventLog).add_events(events)

    def note(self, text: str) -> None:
        self.query_one(EventLog).note(text)

    def show_progress(self, history: RunHistory, status: str) -> None:
        self.query_one(RunProgress).show(history, status)
        self.query_one("#run-values", Static).update(self._values(history))
        panel = self.query_one(SystemPanel)
        panel.show_history(history.start, history.last_step)
        panel.set_live(status in ACTIVE)

    def redraw(self, history: RunHistory) -> None:
        self.query_one(PlotGrid).draw(history)

    def show_end(self, end: RunEnd) -> None:
        error = self.query_one("#run-error", Static)
        error.display = bool(end.error)
        if end.error:
            error.update(Text(f"{end.status}: {end.error}"))
        self.query_one(SystemPanel).set_live(False)

    # ---------------------------------------------------------------- keys (the screen's)

    @property
    def plot_grid(self) -> PlotGrid:
        return self.query_one(PlotGrid)

    def next_plots(self, step: int = 1) -> str:
        return self.query_one(PlotGrid).next_page(step)

    def cycle_smoothing(self) -> float:
        return self.query_one(PlotGrid).cycle_smoothing()

    def toggle_system(self) -> bool:
        panel = self.query_one(SystemPanel)
        panel.display = not panel.display
        return panel.display

    def toggle_steps(self) -> bool:
        return self.query_one(EventLog).toggle_steps()

    @staticmethod
    def _values(history: RunHistory) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")  # one line, even at 80 columns
        start, last = history.start, history.last_step
        if start is not None:
            text.append(f"{format_count(int(start.get('parameters', 0)))} params")
            text.append(f" · {start.get('device', '?')}")
            threads = start.get("threads")
            if isinstance(threads, int) and threads > 0:
                plural = "s" if threads != 1 else ""
                text.append(f" · {threads} torch compute thread{plural}")  # --threads
        if last is not None:
            text.append(f" · lr {float(last.get('lr', 0)):.2e}")
            text.append(f" · momentum {float(last.get('momentum', 0)):.5f}")
            text.append(f" · collapse {float(last.get('collapse', 0)):.3f}")
        return text  # memory: the system panel and the memory plot show it
