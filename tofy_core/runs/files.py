"""Checks of a run folder's files as read back from disk: run.json's fields, and that the
weights, state and vocabulary files are whole. Cheap (headers only), so `tofy runs` and the
Models list can check every run and list a bad one `damaged` with the reason."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tofy_core.data.vocab import Vocab
from tofy_core.errors import TofyError

STATUSES = ("running", "finished", "stopped", "failed")
_TEXT_FIELDS = ("name", "dataset", "created", "updated", "error", "device")
_COUNT_FIELDS = ("step", "steps")
_KNOWN = {"id", "status", "pid", "pid_started", *_TEXT_FIELDS, *_COUNT_FIELDS}
MAX_HEADER = 1 << 26  # a safetensors header beyond 64 MiB is not one Tofy wrote


def info_fields(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """RunInfo's fields from run.json's object, each of the right type, and the unknown keys
    kept aside; a wrong type is one TofyError naming the file and the field."""
    file = path / "run.json"

    def bad(key: str, wanted: str) -> TofyError:
        return TofyError(f"{file}: {key!r} is {data[key]!r:.60}, not {wanted}")

    fields: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise bad(key, "text")
        fields[key] = value
    status = data.get("status", "failed")
    if status not in STATUSES:
        raise TofyError(f"{file}: status {status!r:.40} is not one of {', '.join(STATUSES)}")
    fields["status"] = status
    for key in _COUNT_FIELDS:
        value = data.get(key, 0)
        value = 0 if value is None else value
        if not _is_count(value):
            raise bad(key, "a whole number ≥ 0")
        fields[key] = value
    pid = data.get("pid")
    if pid is not None and not (_is_count(pid) and 0 < pid < 1 << 31):
        raise bad("pid", "a process id")
    fields["pid"] = pid
    started = data.get("pid_started")
    ok = isinstance(started, int | float) and not isinstance(started, bool)
    if started is not None and not (ok and math.isfinite(started)):
        raise bad("pid_started", "a time")
    fields["pid_started"] = float(started) if started is not None else None
    return fields, {k: v for k, v in data.items() if k not in _KNOWN}


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_run_files(weights: list[Path], vocab: Path) -> None:
    """Raise a TofyError naming the first file of a run that is present but not whole:
    the weights and state (their safetensors headers and sizes), the vocabulary."""
    for file in weights:
        if file.exists():
            check_safetensors_header(file)
    if vocab.exists():
        Vocab.load(vocab)


def check_safetensors_header(path: Path) -> dict[str, Any]:
    """The header of a safetensors file, checked against the file's size and for a
    whole-number `step`; reads the header only."""
    try:
        with path.open("rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            if not 2 <= length <= MAX_HEADER:
                raise TofyError(f"{path} is not a safetensors file (truncated or foreign)")
            header = json.loads(handle.read(length))
        size = path.stat().st_size
    except OSError as exc:
        raise TofyError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise TofyError(f"{path} has a torn safetensors header (truncated?)") from None
    if not isinstance(header, dict):
        raise TofyError(f"{path} has a safetensors header that is not an object")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))):
            raise TofyError(f"{path}: tensor {name!r:.60} has no valid data offsets")
        end = max(end, offsets[1])
    if 8 + length + end > size:
        raise TofyError(f"{path} is truncated ({size} bytes, its header needs {8 + length + end})")
    metadata = header.get("__metadata__") or {}
    step = metadata.get("step", "0") if isinstance(metadata, dict) else None
    if not (isinstance(step, str) and step.isdigit()):
        raise TofyError(f"{path}: its step {step!r:.40} is not a whole number")
    return header
