"""A probing session's answers written to a file: JSONL (one `tofy diff --json` object per
line) or CSV (one row per scored answer, or per query without one, the same field names)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from tofy_core.errors import TofyError
from tofy_core.fsutil import atomic_write_text
from tofy_core.probe.query import DiffAnswer

CSV_FIELDS = (
    "model",
    "query",
    "answer",
    "cosine",
    "l2_unit",
    "rank",
    "cosine_rank",
    "words",
    "neighbors",
    "unknown",
    "removed",
    "unknown_answers",
)


def answer_rows(model: str, answer: DiffAnswer) -> list[dict[str, object]]:
    """CSV rows of one answer; lists joined with spaces, neighbours as `word:cosine`."""
    shared = {
        "model": model,
        "query": answer.query,
        "neighbors": " ".join(f"{w}:{c:.4f}" for w, c in answer.neighbors),
        "unknown": " ".join(answer.unknown),
        "removed": " ".join(answer.removed),
        "unknown_answers": " ".join(u.answer for u in answer.unknown_answers),
    }
    if not answer.results:
        return [{**shared, "words": answer.words}]
    return [
        {
            **shared,
            "answer": r.answer,
            "cosine": r.cosine,
            "l2_unit": r.l2_unit,
            "rank": r.rank,
            "cosine_rank": "" if r.cosine_rank is None else r.cosine_rank,
            "words": r.words,
        }
        for r in answer.results
    ]


def export_answers(path: Path, asked: Iterable[tuple[str, DiffAnswer]]) -> int:
    """Write (model, answer) pairs to `path`, CSV when it ends in .csv, else JSONL; returns
    how many queries were written. The file is replaced whole (atomic)."""
    asked = list(asked)
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for model, answer in asked:
            writer.writerows(answer_rows(model, answer))
        text = buffer.getvalue()
    else:
        text = "".join(
            json.dumps({"model": model, **answer.to_json()}) + "\n" for model, answer in asked
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as exc:
        raise TofyError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(asked)
