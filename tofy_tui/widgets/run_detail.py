"""The selected run's detail: summary (best and last scores, speed, wall time), the error of
a failed or damaged run, the whole config, the files with sizes, and small plots of its loss
and held-out top-10. Renders an engine `RunSummary`; computes nothing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tofy_core.format import format_bytes, format_count, format_duration
from tofy_core.runs.metrics import MetricSeries
from tofy_core.runs.summary import RunSummary
from tofy_tui.history import Series
from tofy_tui.run_list import STATUS_STYLE
from tofy_tui.widgets.metric_plot import MetricPlot


def detail_text(s: RunSummary) -> Text:
    """Every line of the detail pane, built as plain text (names from disk stay literal)."""
    out = Text()

    def line(label: str, value: str, style: str = "") -> None:
        out.append(f"{label:<10}", style="bold")
        out.append(value + "\n", style=style)

    line("run", s.run_id)
    line("name", s.name)
    line("status", s.status, STATUS_STYLE.get(s.status, ""))
    if s.reason:
        line("reason" if s.status == "damaged" else "error", s.reason, "red")
    line("data", s.dataset or "-")
    from tofy_core.data.token_cache import run_entry  # here: only a shown detail needs it

    cache = run_entry(s.config)
    if cache:
        line("tokens", cache)
    line("step", f"{s.step:,}/{s.steps:,}" + _saved(s))
    if s.parameters:
        line("model", f"dim {s.dim}, layers {s.layers}, heads {s.heads}, "
             f"{format_count(s.parameters)} parameters")  # fmt: skip
    line("loss", f"{s.loss:.4f} (last)" if s.loss is not None else "-")
    if s.best_top10 is not None:
        best1 = f"{s.best_top1:.1%}" if s.best_top1 is not None else "-"
        line("best", f"held-out top-10 {s.best_top10:.1%}, top-1 {best1}")
    if s.last_eval:
        e = s.last_eval
        line("last eval", f"top-10 {_pct(e.get('top10'))}, top-1 {_pct(e.get('top1'))}, "
             f"mean rank {_num(e.get('mean_rank'))} (step {e.get('step')})")  # fmt: skip
    if s.tokens_per_s is not None:
        line("speed", f"{s.tokens_per_s:,.0f} tokens/s")
    if s.wall_s is not None:
        line("wall time", format_duration(s.wall_s))
    line("device", s.device or "-")
    line("created", s.created or "-")
    line("folder", str(s.path))
    out.append("files\n", style="bold")
    for name, size in s.files.items():
        if name.startswith("."):
            continue  # the trainer's lock and leftovers: not the run's files
        out.append(f"  {name:<22} {format_bytes(size)}\n")
    if s.config:
        out.append("config\n", style="bold")
        for part, values in s.config.items():
            for key, value in values.items():
                out.append(f"  {part}.{key} = {value!r}\n")
    return out


def _saved(s: RunSummary) -> str:
    return f" (checkpoint at {s.checkpoint_step:,})" if s.checkpoint_step is not None else ""


def _pct(value) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "-"


def _num(value) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def line_of(label: str, series: MetricSeries | None, scale: float = 1.0) -> list[Series]:
    if series is None or not series.steps:
        return []
    return [Series(label, series.steps, [v * scale for v in series.values])]


class RunDetail(VerticalScroll):
    """Text above two small plots; `show` changes the run, `plot` its curves."""

    DEFAULT_CSS = """
    RunDetail { width: 1fr; }
    RunDetail MetricPlot { height: 12; }
    """

    def compose(self) -> ComposeResult:
        yield MetricPlot("loss", id="detail-loss")
        yield MetricPlot("held-out top-10 %", id="detail-top10")
        yield Static("Select a run.", id="detail-text", markup=False)

    def show(self, summary: RunSummary | None) -> None:
        text = detail_text(summary) if summary is not None else Text("No run selected.")
        self.query_one("#detail-text", Static).update(text)

    def plot(self, metrics: dict[str, MetricSeries]) -> None:
        self.query_one("#detail-loss", MetricPlot).draw(line_of("loss", metrics.get("loss")))
        top10 = line_of("top-10", metrics.get("eval/top10"), 100.0)
        self.query_one("#detail-top10", MetricPlot).draw(top10)
