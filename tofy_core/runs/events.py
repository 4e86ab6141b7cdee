"""The run's event stream, `metrics.jsonl`: one JSON object per line, appended by the trainer
and tailed by anyone watching (the CLI progress bar, the TUI, another terminal).

Both ends follow `event_schema`: the writer refuses a field the schema does not declare,
lines are validated as they are read (a line of the wrong shape is left out, a field of the
wrong type dropped), and a resumed run's `start` event (`resumed_from`) marks the events it
replays: `read_events` keeps the latest of each, so plots never show a step twice."""

from __future__ import annotations

import json
import math
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tofy_core.runs.event_schema import EVENT, NON_FINITE, SCHEMA, TIME, EventKind, Kind, fits


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
        """Append one event; a kind or a field the schema does not declare is a bug."""
        spec = SCHEMA.get(kind)
        if spec is None:
            raise ValueError(f"unknown event kind {kind!r}")
        undeclared = [name for name in fields if name not in spec.names or name == EVENT]
        if undeclared:
            raise ValueError(
                f"{kind} events have no field {', '.join(map(repr, undeclared))}: "
                "declare it in tofy_core/runs/event_schema.py first"
            )
        record = {EVENT: kind, TIME: time.time(), **_clean(fields)}
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
        if event[EVENT] == Kind.START and isinstance(resumed, int) and kept:
            kept = [e for e in kept if not _replayed(e, resumed)]
        kept.append(event)
    return kept


def _replayed(event: dict[str, Any], resumed: int) -> bool:
    step = event.get("step")
    return (
        event[EVENT] in (Kind.STEP, Kind.EVAL, Kind.CHECKPOINT)
        and isinstance(step, int)
        and step > resumed
    )


def read_new_events(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Events after byte `offset`, and the offset to resume from. Only whole lines are
    consumed, so a line being written right now is read on the next call. A log that is not
    a plain file (a symlink, a folder, a FIFO: `events_problem` names it) has no events, and
    a line that is not UTF-8 JSON is left out: one damaged log never breaks a reader."""
    chunk = _read_from(path, offset)
    if chunk is None:
        return [], offset
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    events = list(_parse_lines(chunk[: end + 1]))
    return events, offset + end + 1


def events_problem(path: Path) -> str:
    """Why the event log at `path` cannot be read ("" when it can, or is not there yet)."""
    if path.is_symlink():
        return f"{path.name} is a symbolic link, not the run's event log"
    if path.exists() and not path.is_file():
        return f"{path.name} is not a file"
    return ""


def _read_from(path: Path, offset: int) -> bytes | None:
    """The bytes after `offset` of a plain file, never through a symlink nor blocking on a
    FIFO; None when there is no such file."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        handle.seek(offset)
        return handle.read()


def _parse_lines(chunk: bytes) -> Iterator[dict[str, Any]]:
    for line in chunk.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, or not UTF-8 at all
            continue
        record = _valid(record)
        if record is not None:
            yield record


def _valid(record: Any) -> dict[str, Any] | None:
    """The record if it is one of the schema's kinds with its required fields, each of the
    right type, and its `step` (where it has one) a whole number. In the `typed` kinds (step,
    eval) a field of the wrong type is dropped and so is an undeclared one that is not a
    number (NaN/inf, written as text, come back as floats), so readers can trust the types."""
    if not isinstance(record, dict) or not isinstance(record.get(EVENT), str):
        return None
    kind = SCHEMA.get(record[EVENT])
    if kind is None:
        return None
    if kind.typed:
        record = _typed(kind, record)
    for field in kind.vital:
        value = record.get(field.name)
        if value is None:
            if field.required:
                return None
        elif not fits(value, field.types):
            return None
    return record


def _typed(kind: EventKind, record: dict[str, Any]) -> dict[str, Any]:
    """The fields that have their declared type (an undeclared one: if it is a number). Any
    JSON number passes for a numeric field, so files written by other versions keep their
    points; the checks of the vital fields are exact."""
    kept = {}
    for key, value in record.items():
        field = kind.by_name.get(key)
        if field is None or field.numeric:
            value = _number(value)
        elif not fits(value, field.types):
            continue
        if value is not None:
            kept[key] = value
    return kept


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if value in NON_FINITE:
        return float(value)
    return None
