"""Checks made before a run folder exists, shared by `tofy train` and the TUI's form: a start
that cannot work fails with one line and leaves nothing behind. Also the data fingerprint a
run records, so that a resume notices a changed file.

Cheap on purpose (the form calls them as the user types): a text file's first 64 KiB are
read, a parquet folder is listed, and torch is imported only to ask for a CUDA GPU."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from tofy_core import paths
from tofy_core.config import check_device_name
from tofy_core.data.hub_spec import check_folder, is_hub_spec, parse_hub_spec
from tofy_core.data.text import binary_line_error, not_utf8_line_error, read_data_bytes
from tofy_core.errors import ConfigError, DataError

HEAD_BYTES = 64 * 1024
NO_CUDA = "--device cuda was asked for but no CUDA GPU is available: use cpu/auto"


def check_memory(config, device) -> None:
    """Refuse, with the figures, a run (a RunConfig) whose estimated memory exceeds what is
    free on `device` (a torch.device), before anything is allocated: an allocator failure is
    a traceback, and an oversized CPU run can take the machine down with it."""
    import psutil

    from tofy_core.format import format_bytes
    from tofy_core.model.memory import estimate_memory

    need = estimate_memory(config.model, config.train).total
    if device.type == "cuda":
        import torch

        free = torch.cuda.mem_get_info(device)[0]
    else:
        free = psutil.virtual_memory().available
    if need > free:
        raise ConfigError(
            f"this model needs about {format_bytes(need)} but {device.type} has "
            f"{format_bytes(free)} free: choose a smaller --dim, --layers, --batch or max_seq",
            field="dim",
        )


def check_device(name: str) -> None:
    """`name` is a known device and, for `cuda`, a CUDA GPU is present."""
    check_device_name(name)
    if name == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(NO_CUDA, field="device")


def check_data_source(source: str) -> None:
    """The data source can be read: an existing UTF-8 text file, a parquet folder with
    parquet files, a well-formed Hub id, or "" (the embedded corpus)."""
    if not source:
        return
    if is_hub_spec(source):
        check_folder(parse_hub_spec(source))
        return
    _check_text_file(paths.user_path(source))


def _check_text_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = None  # read_data_bytes says what is wrong
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        # a FIFO would block the read until a writer came; a device never ends
        raise DataError(
            f"data file {path} is not a regular file (a pipe, socket or device): give a text file"
        )
    head = read_data_bytes(path, HEAD_BYTES)
    if not head:
        raise DataError(f"data file {path} is empty: give one phrase per line")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise binary_line_error(path, _line_of(head, nul))
    try:
        # not final when the head was cut: a character split at the cut is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError as exc:
        raise not_utf8_line_error(path, _line_of(head, exc.start)) from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def absolute_source(source: str) -> str:
    """The source as a run stores it, valid from any folder: a file's absolute path, a parquet
    folder's absolute `hub:` spec; Hub ids and "" (the embedded corpus) as they are."""
    if not source:
        return source
    if is_hub_spec(source):
        spec = parse_hub_spec(source)
        return spec.spec if spec.kind == "folder" else source
    return str(paths.user_path(source).resolve())


def fingerprint_file(path: Path) -> tuple[int, str]:
    """Size in bytes and sha256 (hex) of a file."""
    import hashlib  # here: its OpenSSL load is not for the Train form's checks

    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return size, hashlib.file_digest(handle, "sha256").hexdigest()
