"""Helpers of the hub: tests (test_hub*.py): parquet files, cached lines, a stand-in Hub."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tofy_core.data import hub


def write_parquet(path: Path, columns: dict, schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def lines_of(text) -> list[str]:
    return text.path.read_text(encoding="utf-8").splitlines()


def fake_hub(monkeypatch, rows: dict) -> list[str]:
    """Stand in for the Hub at the loader boundary; record each load."""
    import datasets

    calls: list[str] = []

    def load(spec, work_dir):
        calls.append(spec.spec)
        return [datasets.Dataset.from_dict(rows)]

    monkeypatch.setattr(hub, "_load_rows", load)
    return calls
