"""The Models screen's view keys: filter, sort, mark, compare, which metric, x axis and scale,
the detail pane. A base class of ModelsScreen, kept apart so models.py holds the list and the
plots, this file how the keys change what they show (nothing here touches a run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen
from textual.widgets import Input

from tofy_core.runs.clock import AXES, AXIS_NAMES
from tofy_core.runs.metrics import metric_names
from tofy_tui import chart_prefs
from tofy_tui.run_list import COLUMNS, DESCENDING_FIRST
from tofy_tui.widgets.run_compare import RunCompare
from tofy_tui.widgets.run_detail import RunDetail

NARROW = 100  # columns: at this width or less the detail pane is shown on demand

if TYPE_CHECKING:
    from tofy_core.runs.summary import RunSummary
    from tofy_tui.chart_prefs import ChartPrefs
    from tofy_tui.run_columns import Layout
    from tofy_tui.run_list import Metrics
    from tofy_tui.widgets.run_table import RunTable


class ModelsViewKeys(Screen):
    """The keys that change the view; ModelsScreen owns the state and `rebuild`."""

    if TYPE_CHECKING:
        marked: set[str]
        sort_column: int
        sort_reverse: bool
        filter_text: str
        metric: str
        metric_pattern: str
        charts: ChartPrefs
        comparing: bool
        detail_shown: bool | None
        columns_shown: Layout
        _plots_stale: bool

        @property
        def table(self) -> RunTable: ...

        @property
        def selected(self) -> RunSummary | None: ...

        def rebuild(self) -> None: ...

        def _redraw_plots(self) -> None: ...

        def compared(self) -> list[tuple[str, Metrics]]: ...

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value
            self.rebuild()
        elif event.input.id == "mfilter":
            self.metric_pattern = event.value
            self._plots_stale = True
            self._redraw_plots()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_leave_input()

    def action_leave_input(self) -> None:
        for box in self.query(Input).results(Input):
            if box.has_focus and not box.value:
                box.display = False
        self.table.focus()

    def action_sort(self) -> None:
        """The next column on screen (one the table's width hides is skipped)."""
        shown, start = self.columns_shown.columns, self.sort_column
        for step in range(1, len(COLUMNS) + 1):
            at = (start + step) % len(COLUMNS)
            if not shown or COLUMNS[at] in shown:
                self.sort_column = at
                break
        self.sort_reverse = COLUMNS[self.sort_column].title in DESCENDING_FIRST
        self.rebuild()

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    def action_mark(self) -> None:
        selected = self.selected
        if selected is None:
            return
        self.marked ^= {selected.run_id}
        self._plots_stale = True
        self.rebuild()

    def action_compare(self) -> None:
        self.comparing = not self.comparing
        self.query_one(RunCompare).display = self.comparing
        self._plots_stale = True
        self._redraw_plots()

    def action_next_metric(self) -> None:
        names = metric_names([m for _, m in self.compared()], self.metric_pattern)
        if not names:
            self.notify("No metric matches the filter.", severity="warning")
            return
        at = names.index(self.metric) if self.metric in names else -1
        self.metric = names[(at + 1) % len(names)]
        if not self.comparing:
            self.action_compare()
        self._plots_stale = True
        self._redraw_plots()

    def action_metric_filter(self) -> None:
        if not self.comparing:
            self.action_compare()
        box = self.query_one("#mfilter", Input)
        box.display = True
        box.focus()

    def action_toggle_axis(self) -> None:
        """The compare plot's x axis: step → tokens seen → wall time (remembered)."""
        charts = self.charts
        charts.compare_x = AXES[(AXES.index(charts.compare_x) + 1) % len(AXES)]
        self._charts_changed(f"x axis: {AXIS_NAMES[charts.compare_x]}")

    def action_log_y(self) -> None:
        """The compare plot's metric chart on a log scale or back (remembered)."""
        self.charts.compare_log = not self.charts.compare_log
        self._charts_changed(f"{self.metric}: {'log' if self.charts.compare_log else 'linear'}")

    def _charts_changed(self, what: str) -> None:
        if not self.comparing:
            self.action_compare()
        if problem := chart_prefs.save(self.charts):
            self.notify(problem, severity="warning", markup=False)
        self.notify(what, timeout=2, markup=False)
        self._plots_stale = True
        self._redraw_plots()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """At NARROW columns or fewer the detail pane waits for ] or ← (and then takes a
        third), so the table's main columns have their room."""
        self.set_class(width <= NARROW, "-narrow")
        shown = width > NARROW if self.detail_shown is None else self.detail_shown
        self.query_one(RunDetail).display = shown

    def action_more_columns(self) -> None:
        """→ in the table: the detail pane's room goes to more columns."""
        if self.query_one(RunDetail).display:
            self.action_toggle_detail()
        else:
            self.notify("Every column that fits is shown; ← or ] shows the detail pane.")

    def action_fewer_columns(self) -> None:
        if not self.query_one(RunDetail).display:
            self.action_toggle_detail()

    def action_toggle_detail(self) -> None:
        self.detail_shown = not self.query_one(RunDetail).display
        self._lay_out(self.app.size.width)
