"""A run folder's files as read back from disk: run.json's fields, the one reader of a
safetensors header (the loader and the cheap checks agree on what is whole) and the one damage
check of a run's weights, state and vocabulary. Headers only, no torch: cheap enough for
`tofy runs` and the Models list to check every run. It sits below folders.py so that the run
list and the summaries share it without an import circle."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from tofy_core.data.vocab import Vocab
from tofy_core.errors import TofyError

STATUSES = ("running", "finished", "stopped", "failed")
_TEXT_FIELDS = ("name", "dataset", "created", "updated", "error", "device")
_COUNT_FIELDS = ("step", "steps")
_KNOWN = {"id", "status", "pid", "pid_started", *_TEXT_FIELDS, *_COUNT_FIELDS}
# A Tofy header is a few KiB: one over 16 MiB is not a file Tofy wrote (the library takes 100 MB).
MAX_HEADER = 1 << 24
# The dtypes safetensors' torch loader reads, with their bytes per element: another dtype
# would load as a KeyError, not as a clear error.
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E4M3FNUZ": 1, "F8_E5M2": 1,
    "F8_E5M2FNUZ": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8, "C64": 8,
}  # fmt: skip


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


class HeaderError(TofyError):
    """A safetensors file that is not whole. The message names the file; `reason` says what
    is wrong without naming it, for a caller that names the file in its own words."""

    def __init__(self, path: Path, reason: str, message: str = "") -> None:
        super().__init__(message or f"{path}: {reason}")
        self.reason = reason


def read_safetensors_header(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """The header of a safetensors file; every reader of one in Tofy comes here. Checked as
    the safetensors library checks it, so a file that passes loads: a length of 2 bytes to
    MAX_HEADER, UTF-8 JSON, an object whose `__metadata__` maps text to text and whose every
    tensor has a dtype the loader reads, a shape of whole numbers, and data offsets that hold
    exactly its bytes, each tensor right after the one before, the last ending the file.
    `data`: the whole file, already read; without it only the header is read."""
    try:
        if data is None:
            with path.open("rb") as handle:
                length = int.from_bytes(handle.read(8), "little")
                raw = handle.read(length) if 2 <= length <= MAX_HEADER else b""
                size = os.fstat(handle.fileno()).st_size
        else:
            length = int.from_bytes(data[:8], "little")
            raw, size = data[8 : 8 + length], len(data)
    except OSError as exc:
        raise TofyError(f"cannot read {path}: {exc.strerror}") from None
    if not 2 <= length <= MAX_HEADER:
        raise HeaderError(
            path,
            f"its header length {length:,} is not one (truncated or foreign)",
            f"{path} is not a safetensors file (truncated or foreign)",
        )
    torn = f"{path} has a torn safetensors header (truncated?)"
    if len(raw) < length:
        raise HeaderError(path, "its header is cut short (truncated?)", torn)
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise HeaderError(path, "its header is not UTF-8 JSON", torn) from None
    if not isinstance(header, dict):
        message = f"{path} has a safetensors header that is not an object"
        raise HeaderError(path, "its header is not a JSON object", message)
    metadata = header.get("__metadata__")
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise HeaderError(path, "its __metadata__ does not map text to text")
    spans = sorted(
        (*_tensor_span(path, name, entry, size), name)
        for name, entry in header.items()
        if name != "__metadata__"
    )
    end = 0
    for begin, stop, name in spans:
        if begin != end:
            raise HeaderError(path, f"tensor {name!r:.60} does not start where the last one ends")
        end = stop
    need = 8 + length + end
    if need > size:
        message = f"{path} is truncated ({size} bytes, its header needs {need})"
        reason = f"it is truncated ({size:,} bytes, its header needs {need:,})"
        raise HeaderError(path, reason, message)
    if need < size:
        raise HeaderError(path, f"{size - need:,} stray bytes follow its last tensor")
    return header


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _tensor_span(path: Path, name: str, entry: Any, size: int) -> tuple[int, int]:
    """A tensor's data offsets, checked against its dtype and shape."""
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(map(_is_count, offsets))
        and offsets[0] <= offsets[1]
    ):
        raise HeaderError(path, f"tensor {name!r:.60} has no valid data offsets")
    dtype, shape = entry.get("dtype"), entry.get("shape")
    if not (isinstance(dtype, str) and dtype in DTYPE_BYTES):
        raise HeaderError(path, f"tensor {name!r:.60} has dtype {dtype!r:.20}, not one Tofy reads")
    if not (isinstance(shape, list) and all(map(_is_count, shape))):
        raise HeaderError(path, f"tensor {name!r:.60} has no valid shape")
    need = DTYPE_BYTES[dtype]
    for dim in shape:
        need = min(need * dim, size + 1)  # bounded: a damaged shape's product can be huge
    held = offsets[1] - offsets[0]
    if held != need:
        raise HeaderError(
            path, f"tensor {name!r:.60} holds {held:,} bytes, its dtype and shape need {need:,}"
        )
    return offsets[0], offsets[1]


def check_safetensors_header(path: Path) -> dict[str, Any]:
    """The header of a run's weights or state file (`read_safetensors_header`), its
    metadata's `step` a whole number as Tofy writes it."""
    header = read_safetensors_header(path)
    step = (header.get("__metadata__") or {}).get("step", "0")
    if not (step.isascii() and step.isdigit()):
        raise TofyError(f"{path}: its step {step!r:.40} is not a whole number")
    return header


def refuse_link(path: Path) -> None:
    """A run's weights, state and vocabulary are its own files: a symbolic link in their place
    could name any file of the user's, so every reader of them refuses one."""
    if path.is_symlink():
        raise TofyError(
            f"{path} is a symbolic link, not the run's own file: put the file itself there"
        )


def check_run_files(
    model: Path, state: Path, vocab: Path, *, usable: bool = False, weights_due: bool = False
) -> None:
    """The one damage check of a run's files: raise a TofyError naming the first problem.
    Always: a file present but not whole (the state's and weights' headers and sizes, the
    vocabulary read back). With `usable` (the verdict of `tofy runs`, `tofy show` and the
    Models screen), also whether they make a model: the weights there once `weights_due` (a
    finished or stopped run), their embedding a table, the vocabulary there with one token
    per row. `folders.list_runs` asks without it: a run's settings can be reused, and the run
    opened by name, before it saved weights."""
    for file in (model, state, vocab):
        refuse_link(file)
    headers = {file: check_safetensors_header(file) for file in (state, model) if file.exists()}
    tokens = len(Vocab.load(vocab)) if vocab.exists() else None
    if not usable:
        return
    if model not in headers:
        if weights_due:
            raise TofyError(f"{model.name} is missing")
        return
    if weights_due and state not in headers:
        raise TofyError(f"{state.name} is missing: the run's training state is gone")
    embed = headers[model].get("encoder.embed.weight")
    if not isinstance(embed, dict) or len(embed["shape"]) != 2:
        raise TofyError(f"{model.name} has no encoder.embed.weight")
    rows = embed["shape"][0]
    if tokens is None:
        raise TofyError(f"{vocab.name} is missing")
    if tokens != rows:
        raise TofyError(f"{vocab.name} has {tokens} tokens but the weights have {rows} rows")
