"""The run's event stream, `metrics.jsonl`: one JSON object per line, appended by the trainer
and tailed by anyone watching (the CLI progress bar, the TUI, another terminal).

Lines are validated as they are read (a line of the wrong shape is left out, a field of the
wrong type dropped), and a resumed run's `start` event (`resumed_from`) marks the events it
replays: `read_events` keeps the latest of each, so plots never show a step twice."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EVENT_KINDS = ("start", "step", "eval", "checkpoint", "warning", "end")


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
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
        # never through a symlink: the events land in the run folder or nowhere
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.path, flags, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return record


def read_events(path: Path) -> list[dict[str, Any]]:
    """All complete events of a file, the replayed ones once (`latest_only`); a torn last
    line (writer mid-write) is left out."""
    events, _ = read_new_events(path, 0)
    return latest_only(events)


def latest_only(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the events a resume replaced: a `start` with `resumed_from` N restarts the run at
    step N, so earlier step/eval/checkpoint events past N (lost with the killed session's
    unsaved steps) give way to the new session's."""
    kept: list[dict[str, Any]] = []
    for event in events:
        resumed = event.get("resumed_from")
        if event["event"] == "start" and isinstance(resumed, int) and kept:
            kept = [e for e in kept if not _replayed(e, resumed)]
        kept.append(event)
    return kept


def _replayed(event: dict[str, Any], resumed: int) -> bool:
    step = event.get("step")
    return (
        event["event"] in ("step", "eval", "checkpoint")
        and isinstance(step, int)
        and step > resumed
    )


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
        record = _valid(record)
        if record is not None:
            yield record


_TEXT_KEYS = {"event", "mem_kind", "path", "status", "error", "run_id", "device", "dataset"}
_TEXT_KEYS |= {"torch", "kind", "message"}
_REQUIRED = {"step": (), "eval": ("top1", "top10", "mean_rank")}


def _valid(record: Any) -> dict[str, Any] | None:
    """The record if its kind is known and its `step` a whole number; in step and eval
    events a field that should be a number but is not is dropped (NaN/inf, written as
    text, come back as floats), so readers can trust the types."""
    if not isinstance(record, dict) or record.get("event") not in EVENT_KINDS:
        return None
    kind = record["event"]
    step = record.get("step")
    if kind != "start" and step is not None and not _whole(step):
        return None
    if kind in ("step", "eval", "checkpoint") and step is None:
        return None
    if kind == "warning" and not isinstance(record.get("message"), str):
        return None
    if kind in ("step", "eval"):
        record = {k: v for k, v in ((k, _number(k, v)) for k, v in record.items()) if v is not None}
        if any(key not in record for key in _REQUIRED[kind]):
            return None
    return record


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(key: str, value: Any) -> Any:
    if key in _TEXT_KEYS:
        return value if isinstance(value, str) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return None
