"""The Models screen's list: its columns (how each renders and sorts), the filter as typed,
the messages its workers post, and the loading of the runs' metrics for the plots. The numbers
come from the engine's summaries (tofy_core.runs.summary); this module only arranges them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.message import Message

from tofy_core.format import format_bytes, format_count
from tofy_core.runs.metrics import MetricSeries, read_metrics
from tofy_core.runs.summary import RunSummary
from tofy_tui.history import downsample

STATUS_STYLE = {
    "running": "bold green",
    "finished": "cyan",
    "stopped": "yellow",
    "failed": "red",
    "interrupted": "magenta",
    "damaged": "bold red reverse",
}
MARK = "●"


@dataclass(frozen=True)
class Column:
    """One column: its title, its cell text and the value it sorts by."""

    title: str
    cell: Callable[[RunSummary], Text]
    key: Callable[[RunSummary], Any]


def text_cell(value: str, style: str = "") -> Text:
    return Text(value, style=style, no_wrap=True, overflow="ellipsis")


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "-"


def _missing_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def _shape(s: RunSummary) -> str:
    return f"{s.dim}/{s.layers}/{s.heads}" if s.dim else "-"


def _tail(text: str, width: int = 24) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


# By priority: what a narrow table shows first (tofy_tui.run_columns picks those that fit);
# the data path and the creation time give way. The status line names the sort column.
COLUMNS: tuple[Column, ...] = (
    Column("name", lambda s: text_cell(s.name), lambda s: s.name.lower()),
    Column(
        "status",
        lambda s: text_cell(s.status, STATUS_STYLE.get(s.status, "")),
        lambda s: s.status,
    ),
    Column("step", lambda s: text_cell(f"{s.step:,}/{s.steps:,}"), lambda s: s.step),
    Column(
        "loss",
        lambda s: text_cell(f"{s.loss:.4f}" if s.loss is not None else "-"),
        lambda s: _missing_last(s.loss),
    ),
    Column(
        "top-10", lambda s: text_cell(_pct(s.best_top10)), lambda s: _missing_last(s.best_top10)
    ),
    Column(
        "params",
        lambda s: text_cell(format_count(s.parameters) if s.parameters else "-"),
        lambda s: _missing_last(s.parameters),
    ),
    Column("dim/L/H", lambda s: text_cell(_shape(s)), lambda s: _missing_last(s.dim)),
    Column("device", lambda s: text_cell(s.device or "-"), lambda s: s.device),
    Column("size", lambda s: text_cell(format_bytes(s.size)), lambda s: s.size),
    Column("data", lambda s: text_cell(_tail(s.dataset)), lambda s: s.dataset),
    Column(
        "created",
        lambda s: text_cell(s.created[5:16].replace("T", " ")),
        lambda s: (s.created, s.run_id),  # runs made within one second: by id, as `tofy runs`
    ),
)
DESCENDING_FIRST = {"top-10", "step", "created", "size", "params"}


def sort_runs(summaries: list[RunSummary], column: int, reverse: bool) -> list[RunSummary]:
    """Sorted by one column; runs without a value (no eval yet) stay at the bottom."""
    col = COLUMNS[column]
    present = [s for s in summaries if not _is_missing(col.key(s))]
    missing = [s for s in summaries if _is_missing(col.key(s))]
    return sorted(present, key=col.key, reverse=reverse) + missing


def _is_missing(key: Any) -> bool:
    return isinstance(key, tuple) and len(key) == 2 and key[0] is True


def matches_filter(summary: RunSummary, text: str) -> bool:
    """Case-blind substring of the name, id, status, data or device."""
    needle = text.strip().lower()
    if not needle:
        return True
    hay = (summary.name, summary.run_id, summary.status, summary.dataset, summary.device)
    return any(needle in value.lower() for value in hay)


def repeated_names(summaries: list[RunSummary]) -> set[str]:
    """Names that more than one run has."""
    seen: set[str] = set()
    return {s.name for s in summaries if s.name in seen or seen.add(s.name)}


# ---------------------------------------------------------------- metrics for the plots

Metrics = dict[str, MetricSeries]


def read_downsampled(summary: RunSummary, limit: int = 300) -> Metrics:
    """A run's metrics, each cut to at most `limit` points by step and by time alike."""
    out: Metrics = {}
    for name, series in read_metrics(summary.path).items():
        xs, ys = downsample(series.steps, series.values, limit)
        ts, _ = downsample(series.seconds, series.values, limit)
        tokens = series.tokens if len(series.tokens) == len(series.steps) else []
        ks = _bucket_x(tokens, len(series.steps), limit) if tokens else []
        out[name] = MetricSeries(xs, ts[: len(xs)], ys, ks[: len(xs)])
    return out


def _bucket_x(xs: list[float], length: int, limit: int) -> list[float]:
    """An x value per point `downsample` keeps: each bucket's last (NaN stays NaN)."""
    if length <= limit:
        return list(xs)
    return [xs[(bucket + 1) * length // limit - 1] for bucket in range(limit)]


def finite(values: list[float]) -> bool:
    return any(math.isfinite(v) for v in values)


# ---------------------------------------------------------------- messages


class RunsListed(Message):
    """The run list as read by the refresh worker."""

    def __init__(self, summaries: list[RunSummary]) -> None:
        super().__init__()
        self.summaries = summaries


class MetricsRead(Message):
    """The plotted runs' metrics, read by a worker (run id → metric → series)."""

    def __init__(self, metrics: dict[str, Metrics]) -> None:
        super().__init__()
        self.metrics = metrics


class ActionDone(Message):
    """A background run action finished: a line to show, and whether it failed."""

    def __init__(self, text: str, error: bool = False, run_id: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.run_id = run_id
