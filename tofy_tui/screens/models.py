"""The Models screen: every run on disk in a sortable, filterable table that refreshes itself
(a worker re-reads the runs folder every second), the selected run's detail and curves, and
several marked runs compared on one chart. Actions dispatch to the engine (tofy_core.runs:
folders, ops) or to the Train screen's monitor (resume, watch); this screen only renders."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import Worker, WorkerState

from tofy_core.runs.metrics import metric_names
from tofy_core.runs.summary import RunBook, RunSummary
from tofy_tui import chart_prefs
from tofy_tui.compare_export import save_compare
from tofy_tui.run_columns import Layout, cells, fit, short_ids
from tofy_tui.run_list import (
    COLUMNS,
    ActionDone,
    Metrics,
    MetricsRead,
    RunsListed,
    matches_filter,
    read_downsampled,
    repeated_names,
    sort_runs,
)
from tofy_tui.screens.models_actions import ModelsActions, ModelsCommands
from tofy_tui.screens.models_view import ModelsViewKeys
from tofy_tui.widgets.key_footer import KeyFooter
from tofy_tui.widgets.run_compare import TOP10, RunCompare, run_labels
from tofy_tui.widgets.run_detail import RunDetail
from tofy_tui.widgets.run_table import RunTable

POLL_S = 1.0
REDRAW_S = 1.0
SORT_START = [c.title for c in COLUMNS].index("created")


class ModelsScreen(ModelsActions, ModelsViewKeys, Screen):
    SUB_TITLE = "Models"
    COMMANDS: ClassVar = {ModelsCommands}
    DEFAULT_CSS = """
    ModelsScreen #models-body { height: 1fr; }
    ModelsScreen #models-left { width: 3fr; }
    ModelsScreen #runs { height: 1fr; }
    ModelsScreen RunDetail { width: 2fr; border-left: solid $primary; }
    ModelsScreen.-narrow RunDetail { width: 1fr; }
    ModelsScreen RunCompare { height: 2fr; border-top: solid $primary; }
    ModelsScreen #models-status { height: 1; color: $text-muted; }
    ModelsScreen Input { height: 3; }
    """
    # The footer shows these first, as far as its width allows; every key is in the palette
    # and the help.
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = (
        "models.open",
        "models.diff",
        "models.sort",
        "models.filter",
        "models.mark",
        "models.compare",
        "models.resume",
        "models.stop",
        "app.quit",
        "app.help",
        "models.delete",
        "models.rename",
        "models.export",
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="models.filter"),
        Binding("s", "sort", "Sort", id="models.sort"),
        Binding("S", "sort_reverse", "Sort order", show=False, id="models.sort-reverse"),
        Binding("space", "mark", "Mark", id="models.mark"),
        Binding("c", "compare", "Compare", id="models.compare"),
        Binding("m", "next_metric", "Metric", show=False, id="models.metric"),
        Binding("g", "metric_filter", "Metric filter", show=False, id="models.metric-filter"),
        Binding("t", "toggle_axis", "X axis", show=False, id="models.axis"),
        Binding("Y", "log_y", "Log scale", show=False, id="models.log-y"),
        Binding("ctrl+s", "save_compare", "Save CSV", show=False, id="models.save-compare"),
        Binding("enter", "open_diff", "Diff", id="models.diff"),
        Binding("r", "resume", "Resume", id="models.resume"),
        Binding("w", "watch", "Watch", show=False, id="models.watch"),
        Binding("x", "stop", "Stop", id="models.stop"),
        Binding("n", "rename", "Rename", id="models.rename"),
        Binding("d", "delete", "Delete", id="models.delete"),
        Binding("e", "export", "Export", id="models.export"),
        Binding("i", "import", "Import", show=False, id="models.import"),
        Binding(
            "right_square_bracket", "toggle_detail", "Detail pane", show=False, id="models.detail"
        ),
        # Also the table's own (tofy_tui/widgets/run_table.py), nearer the focus than
        # DataTable's sideways scroll; listed here for the help.
        Binding("right", "more_columns", "More columns", show=False, id="models.more"),
        Binding("left", "fewer_columns", "Detail pane back", show=False, id="models.fewer"),
        Binding("escape", "leave_input", "Back to list", show=False, id="models.leave"),
    ]

    # Focus goes to the table as the screen is built: Textual's default (the first focusable
    # widget) was the hidden filter until on_mount, and Enter typed at once landed there.
    AUTO_FOCUS = "#runs"

    def __init__(self) -> None:
        super().__init__(id="models")
        self.book = RunBook()
        self.summaries: list[RunSummary] = []
        self.shown: list[RunSummary] = []
        self.marked: set[str] = set()
        self.sort_column, self.sort_reverse = SORT_START, True
        self.filter_text = ""
        self.metrics: dict[str, tuple[int, Metrics]] = {}  # run id → (summary id, metrics)
        self.metric, self.metric_pattern = "loss", ""
        self.charts = chart_prefs.load()  # the compare plot's x axis and log scale
        self.comparing = False
        self.detail_shown: bool | None = None  # None: by the width (hidden when narrow)
        self.listings = 0  # lists received (tests wait on it)
        self._listing = self._reading = False
        self._plots_stale = True
        self._drawn: dict[str, tuple[int, str, bool, str]] = {}  # run id → what its row shows
        self._columns: list = []
        self.columns_shown = Layout(())  # the columns shown, fitted to the table's width
        self._fitted_to: tuple | None = None  # what they were fitted to
        self._detail_of: tuple[str, int, str] | None = None  # what the detail pane shows

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="models-body"):
            with Vertical(id="models-left"):
                yield Input(placeholder="filter runs: name, id, status, data", id="filter")
                yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
                yield Input(placeholder="metric filter: glob (eval/*) or text", id="mfilter")
                yield RunCompare(id="compare")
                yield Static("", id="models-status", markup=False)
            yield RunDetail(id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        for widget in ("#filter", "#mfilter", "#compare"):
            self.query_one(widget).display = False
        self.table.focus()
        self.set_interval(POLL_S, self.poll)
        self.set_interval(REDRAW_S, self._redraw_plots)
        self.poll()

    # ---------------------------------------------------------------- the list

    @property
    def table(self) -> RunTable:
        return self.query_one("#runs", RunTable)

    @property
    def selected(self) -> RunSummary | None:
        at = self.table.cursor_row
        return self.shown[at] if 0 <= at < len(self.shown) else None

    def poll(self) -> None:
        """Start a re-read of the runs folder unless one is still going."""
        if not self._listing:
            self._listing = True
            self.read_runs()

    @work(thread=True, exclusive=True, group="models-list", exit_on_error=False)
    def read_runs(self) -> None:
        try:
            summaries = self.book.refresh()
        finally:
            self._listing = False
        self.post_message(RunsListed(summaries))

    def on_runs_listed(self, message: RunsListed) -> None:
        self.summaries = message.summaries
        self.listings += 1
        self.rebuild()

    def rebuild(self) -> None:
        """Sort, filter and show the rows, the cursor kept on the same run. When the rows are
        the same runs in the same order, only the changed ones are redrawn in place."""
        table = self.table
        keep = self.selected.run_id if self.selected else None
        was_at = table.cursor_row
        present = {s.run_id for s in self.summaries}
        self.marked &= present
        shown = [s for s in self.summaries if matches_filter(s, self.filter_text)]
        self.shown = sort_runs(shown, self.sort_column, self.sort_reverse)
        ids = [s.run_id for s in self.shown]
        short = short_ids(self.summaries, repeated_names(self.summaries))
        self._fit_columns(short)
        if ids == list(self._drawn):
            for summary in self.shown:
                state = self._row_state(summary, short)
                if self._drawn[summary.run_id] != state:
                    self._drawn[summary.run_id] = state
                    row = cells(summary, state[2], self.columns_shown, short)
                    for key, cell in zip(self._columns, row, strict=True):
                        table.update_cell(summary.run_id, key, cell)
        else:
            table.clear()
            self._drawn = {}
            for summary in self.shown:
                state = self._row_state(summary, short)
                table.add_row(
                    *cells(summary, state[2], self.columns_shown, short), key=summary.run_id
                )
                self._drawn[summary.run_id] = state
            if keep in ids:
                table.move_cursor(row=ids.index(keep), animate=False)
            elif ids:  # its run is gone (deleted): the row that took its place
                table.move_cursor(row=min(max(was_at, 0), len(ids) - 1), animate=False)
        self._show_status()
        self._selection_changed()

    def _row_state(self, summary: RunSummary, short: dict[str, str]) -> tuple:
        marked = summary.run_id in self.marked
        return (summary.serial, summary.status, marked, short.get(summary.run_id, ""))

    def _fit_columns(self, short: dict[str, str]) -> None:
        """The columns that fit the table's width now; when they change, the table is laid
        out again (its rows are then drawn afresh)."""
        facts = (self.table.room, [(s.run_id, s.serial) for s in self.shown], short)
        if facts == self._fitted_to:  # the poll's usual case: nothing to measure again
            return
        self._fitted_to = facts
        layout = fit(self.shown, self.table.room, short)
        if layout == self.columns_shown:
            return
        self.columns_shown = layout
        table = self.table
        table.clear(columns=True)
        self._drawn = {}
        self._columns = [table.add_column(" ")]
        for column in layout.columns:
            width = layout.name_width if column is COLUMNS[0] else None
            self._columns.append(table.add_column(column.title, width=width))

    def on_run_table_width_changed(self, message: RunTable.WidthChanged) -> None:
        self.rebuild()

    def _show_status(self) -> None:
        order = "↓" if self.sort_reverse else "↑"
        if not self.summaries:
            text = "No runs yet: press 1, then Start (s, or Ctrl+R in a field), or `tofy train`"
            self.query_one("#models-status", Static).update(text)
            return
        text = f"{len(self.shown)} of {len(self.summaries)} runs · sorted by "
        sort = COLUMNS[self.sort_column]
        text += f"{sort.title} {order}"
        if sort not in self.columns_shown.columns:
            text += " (hidden)"
        if self.filter_text:
            text += f" · filter {self.filter_text!r}"
        if self.marked:
            text += f" · {len(self.marked)} marked (c compares)"
        self.query_one("#models-status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._selection_changed()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_diff()

    def _selection_changed(self) -> None:
        """A new selection, or new facts about it: the detail pane follows; the plots are
        redrawn only when their run or its metrics changed."""
        selected = self.selected
        shown = (selected.run_id, selected.serial, selected.status) if selected else None
        if shown != self._detail_of:
            self.query_one(RunDetail).show(selected)
            if (self._detail_of or ("",))[0] != (shown or ("",))[0]:
                self._plots_stale = True
            self._detail_of = shown
        self._read_metrics()

    # ---------------------------------------------------------------- plots

    def plotted(self) -> list[RunSummary]:
        """The runs whose curves are drawn: the selected one, and the marked ones."""
        chosen = [s for s in self.summaries if s.run_id in self.marked]
        if self.selected is not None and self.selected not in chosen:
            chosen.append(self.selected)
        return chosen

    def _read_metrics(self) -> None:
        wanted = [s for s in self.plotted() if self.metrics.get(s.run_id, (0,))[0] != s.serial]
        if wanted and not self._reading:
            self._reading = True
            self.read_metrics(wanted)

    @work(thread=True, exclusive=True, group="models-metrics", exit_on_error=False)
    def read_metrics(self, wanted: list[RunSummary]) -> None:
        try:
            read = {s.run_id: (s.serial, read_downsampled(s)) for s in wanted}
        finally:
            self._reading = False
        self.post_message(MetricsRead(read))  # type: ignore[arg-type]

    def on_metrics_read(self, message: MetricsRead) -> None:
        self.metrics.update(message.metrics)  # type: ignore[arg-type]
        self._plots_stale = True
        self._read_metrics()  # the selection may have moved meanwhile

    def _redraw_plots(self) -> None:
        if not self._plots_stale or not self.is_current:
            return
        self._plots_stale = False
        selected = self.selected
        if selected is not None and selected.run_id in self.metrics:
            self.query_one(RunDetail).plot(self.metrics[selected.run_id][1])
        if self.comparing:
            self.draw_compare()

    def compared(self) -> list[tuple[str, Metrics]]:
        runs_ = [s for s in self.summaries if s.run_id in self.marked] or (
            [self.selected] if self.selected else []
        )
        runs_ = [s for s in runs_ if s.run_id in self.metrics]
        labels = run_labels([(s.name, s.run_id) for s in runs_])
        return [(label, self.metrics[s.run_id][1]) for label, s in zip(labels, runs_, strict=True)]

    def action_save_compare(self) -> None:
        """What the compare overlay shows (its runs, the metric and top-10) as CSV."""
        runs_ = [s for s in self.summaries if s.run_id in self.marked] or (
            [self.selected] if self.selected else []
        )
        if not self.comparing or not runs_:
            self.notify("Nothing compared to save: mark runs (space), then c.", markup=False)
            return
        shown = list(dict.fromkeys((self.metric, TOP10)))
        self.run_later(save_compare, [s.run_id for s in runs_], shown, self.post_message)

    def draw_compare(self) -> None:
        runs_ = self.compared()
        names = metric_names([m for _, m in runs_], self.metric_pattern)
        if names and self.metric not in names:
            self.metric = names[0]
        self.query_one(RunCompare).draw(
            runs_,
            self.metric,
            names,
            self.metric_pattern,
            self.charts.compare_x,
            self.charts.compare_log,
        )

    # ---------------------------------------------------------------- results

    def on_action_done(self, message: ActionDone) -> None:
        severity = "error" if message.error else "information"
        self.notify(message.text, severity=severity, markup=False, timeout=8)
        self.poll()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._listing = self._reading = False
            self.notify(
                f"{type(error).__name__}: {error}",
                title="Background task failed",
                severity="error",
                markup=False,
            )

    def on_screen_resume(self) -> None:
        self._plots_stale = True
        self.poll()

    def run_later(self, work_fn, *args) -> None:
        """An engine call off the UI thread; its line comes back as ActionDone."""
        self.run_worker(partial(work_fn, *args), thread=True, group="models-action")
