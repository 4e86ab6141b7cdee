"""The run's event stream, `metrics.jsonl`: one JSON object per line, appended by the trainer
and tailed by anyone watching (the CLI progress bar, the TUI, another terminal)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EVENT_KINDS = ("start", "step", "eval", "checkpoint", "end")


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as strings so the line stays valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class EventWriter:
    """Appends events, opening the file per event: events are rare (log steps), and each
    line lands whole and at once, so a reader never waits for a buffer."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        record = {"event": kind, "time": time.time(), **_clean(fields)}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        return record


def read_events(path: Path) -> list[dict[str, Any]]:
    """All complete events of a file; a torn last line (writer mid-write) is left out."""
    events, _ = read_new_events(path, 0)
    return events


def read_new_events(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Events after byte `offset`, and the offset to resume from. Only whole lines are
    consumed, so a line being written right now is read on the next call."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    events = list(_parse_lines(chunk[: end + 1]))
    return events, offset + end + 1


def _parse_lines(chunk: bytes) -> Iterator[dict[str, Any]]:
    for line in chunk.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "event" in record:
            yield record
