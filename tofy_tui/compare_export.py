"""The Models compare overlay, saved as CSV (`ctrl+s`): the compared runs' series of the
metrics it draws, whole (the plot shows them thinned), in `tofy metrics`'s long format under
the data folder's `exports/`. Runs in a worker: it reads every compared run's events."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.fsutil import atomic_write_text
from tofy_core.runs.metrics_table import LONG_COLUMNS, load_run_metrics, long_rows, write_csv
from tofy_tui.run_list import ActionDone


def export_dir() -> Path:
    """<data>/exports, made if needed."""
    folder = paths.data_dir() / "exports"
    folder.mkdir(exist_ok=True)
    return folder


def export_compare(run_ids: list[str], metrics: list[str], folder: Path | None = None) -> Path:
    """Write the runs' `metrics` as long CSV into a new dated file; returns its path."""
    read = [load_run_metrics(run_id) for run_id in run_ids]
    for run in read:
        run.points = [p for p in run.points if p.metric in metrics]
    text = io.StringIO()
    write_csv(text, LONG_COLUMNS, long_rows(read))
    folder = folder or export_dir()
    stem = f"compare-{datetime.now():%Y-%m-%d_%H-%M-%S}"
    path = folder / f"{stem}.csv"
    for count in range(2, 100):  # two in the same second: both kept
        if not path.exists():
            break
        path = folder / f"{stem}-{count}.csv"
    atomic_write_text(path, text.getvalue())
    return path


def save_compare(run_ids: list[str], metrics: list[str], post: Callable) -> None:
    """The worker: export, then one ActionDone saying where it went (or why not)."""
    try:
        path = export_compare(run_ids, metrics)
    except (TofyError, OSError) as exc:
        post(ActionDone(f"Could not save the comparison: {exc}", error=True))
        return
    shown = ", ".join(metrics)
    post(ActionDone(f"Saved {len(run_ids)} runs' {shown} to {path.resolve()}"))
