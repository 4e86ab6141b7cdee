"""Runs' metrics as tables for the tools people already use: a spreadsheet (CSV, long or
wide), a script (JSON), TensorBoard (`runs/tensorboard`). The numbers are the ones the Models
compare plot draws (`metrics.event_metrics`), each with its step, its wall-clock time and, where
the events say, the tokens the run had trained on by then."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TextIO

from tofy_core.errors import TofyError
from tofy_core.runs import folders as runs
from tofy_core.runs.events import events_problem, read_events
from tofy_core.runs.metrics import matches, metric_names, metric_points

LONG_COLUMNS = ("run", "name", "step", "wall_time", "seconds", "tokens", "metric", "value")
STEP_COLUMNS = ("wall_time", "seconds", "tokens")  # per run in the wide table, after `step`


class Point(NamedTuple):  # a tuple: a long run has hundreds of thousands
    """One value of one metric. `wall_time`: when the event was written (seconds since the
    epoch, as TensorBoard records it); `seconds`: since the run's first event (the compare
    plot's time axis); `tokens`: real tokens trained on by this step, None when unknown."""

    step: int
    wall_time: float | None
    seconds: float
    tokens: int | None
    metric: str
    value: float


@dataclass
class RunMetrics:
    """One run's points, in the order its events were written."""

    run_id: str
    name: str
    points: list[Point] = field(default_factory=list)
    damaged: str = ""  # why the run lists as damaged (its metrics were still readable)

    def metric_names(self) -> list[str]:
        return metric_names([dict.fromkeys(p.metric for p in self.points)])  # type: ignore[list-item]


def points_of(events: list[dict[str, Any]]) -> list[Point]:
    """Every metric value of a run's events (read with `read_events`), as the compare plot
    reads them (`metrics.metric_points`); tokens seen where the run counted them."""
    return [
        Point(
            int(p.step),
            p.stamp,
            p.seconds,
            int(p.tokens) if p.tokens == p.tokens else None,
            p.metric,
            p.value,
        )
        for p in metric_points(events)
    ]


def run_events(info: runs.RunInfo) -> list[dict[str, Any]]:
    """A run's events for an export; a missing or unreadable log is one TofyError."""
    path = info.file(runs.METRICS_FILE)
    problem = events_problem(path)
    if problem:
        raise TofyError(f"run {info.run_id}'s metrics cannot be read: {problem}")
    if not path.is_file():
        raise TofyError(f"run {info.run_id} has no {runs.METRICS_FILE}: it recorded no metrics")
    events = read_events(path)
    if not events and path.stat().st_size:
        raise TofyError(
            f"run {info.run_id}'s {runs.METRICS_FILE} holds no readable event: it is damaged"
        )
    return events


def load_run_metrics(ref: str, pattern: str = "") -> RunMetrics:
    """A run's points (the metrics matching `pattern` only, a glob or a substring); a run
    that cannot be found, or whose event log is missing or unreadable, is one TofyError."""
    info = runs.open_run(ref)
    points = [p for p in points_of(run_events(info)) if matches(p.metric, pattern)]
    damaged = info.error if info.status == "damaged" else ""
    return RunMetrics(info.run_id, info.name, points, damaged)


def run_labels(all_runs: list[RunMetrics]) -> list[str]:
    """What names each run in a wide table's columns: its name, or its id where two runs
    share a name (or it has none)."""
    names = [r.name for r in all_runs]
    return [r.name if r.name and names.count(r.name) == 1 else r.run_id for r in all_runs]


def long_rows(all_runs: list[RunMetrics]) -> Iterator[list[Any]]:
    """One row per value: LONG_COLUMNS."""
    for run in all_runs:
        for p in run.points:
            yield [run.run_id, run.name, *p]  # Point's fields are LONG_COLUMNS' others


def wide_table(all_runs: list[RunMetrics]) -> tuple[list[str], list[list[Any]]]:
    """One row per step (the steps of every run), each run's wall time, tokens and metrics
    side by side; with one run the columns are not prefixed by its name."""
    labels = run_labels(all_runs)
    prefix = (lambda label: f"{label}/") if len(all_runs) > 1 else (lambda label: "")
    header = ["step"]
    by_step: dict[int, dict[str, Any]] = {}
    for run, label in zip(all_runs, labels, strict=True):
        names = run.metric_names()
        header += [prefix(label) + c for c in (*STEP_COLUMNS, *names)]
        for p in run.points:
            cells = by_step.setdefault(p.step, {})
            cells.setdefault(prefix(label) + "wall_time", p.wall_time)
            cells.setdefault(prefix(label) + "seconds", p.seconds)
            cells.setdefault(prefix(label) + "tokens", p.tokens)
            cells[prefix(label) + p.metric] = p.value
    rows = [[step] + [by_step[step].get(c) for c in header[1:]] for step in sorted(by_step)]
    return header, rows


def as_json(all_runs: list[RunMetrics]) -> dict[str, Any]:
    """Per run, per metric: parallel lists of step, wall_time, seconds, tokens and value."""
    out = []
    for run in all_runs:
        series: dict[str, dict[str, list[Any]]] = {}
        for p in run.points:
            one = series.setdefault(
                p.metric, {k: [] for k in ("step", "wall_time", "seconds", "tokens", "value")}
            )
            for key, value in (
                ("step", p.step),
                ("wall_time", p.wall_time),
                ("seconds", p.seconds),
                ("tokens", p.tokens),
                ("value", p.value),
            ):
                one[key].append(value)
        ordered = {name: series[name] for name in run.metric_names()}
        out.append({"run": run.run_id, "name": run.name, "metrics": ordered})
    return {"runs": out}


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[list[Any]]) -> int:
    """CSV with a header; an unknown value is an empty cell. Returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
        count += 1
    return count
