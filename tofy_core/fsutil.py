"""Atomic file writes, the one way Tofy writes a file it will read back.

The data goes to a temporary file in the target's folder, is flushed and fsynced, then renamed
over the target: a crash or a full disk at any instant leaves the old file or the new one,
never a torn one, and the temporary file is removed on any failure (one a SIGKILL leaves
behind is removed by the run's next owner: `runs.remove_leftovers`). A symlink at the target
is replaced, never written through.

Test hook (the SIGKILL tests only; one environment lookup per write when unset): with
`TOFY_TEST_PAUSE_IN_WRITE` set to a file-name pattern (fnmatch, e.g. `state.safetensors` or
`*`) and `TOFY_TEST_PAUSE_MARKERS` to a folder, every write of a matching file pauses twice:
once with the temporary file whole but not yet renamed (`written`: inside the write) and once
right after the rename (`renamed`: between this write and the next, e.g. between the state and
the model file of a checkpoint). Each pause creates the empty marker
`<markers>/<n>.<file name>.<phase>` (n counts this process's pauses) and waits until the
marker is removed (at most 60 s): the harness removes it to let the write go on, or kills the
process while it waits, so the kill lands exactly there."""

from __future__ import annotations

import contextlib
import fnmatch
import itertools
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 text handle (`\\n` line ends) whose content replaces `path` when the block ends
    without an error; for files written piece by piece."""
    with _atomic(path, binary=False) as handle:
        yield handle


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with _atomic(path, binary=True) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    with _atomic(path, binary=False) as handle:
        handle.write(text)


def atomic_write_json(path: Path, data: Any, *, sort_keys: bool = True) -> None:
    """`data` as indented JSON with a final newline."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys) + "\n")


@contextlib.contextmanager
def _atomic(path: Path, *, binary: bool) -> Iterator[IO[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        handle = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _test_pause(path, "written")
        os.replace(tmp, path)
        _fsync_folder(path.parent)
        _test_pause(path, "renamed")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (the folder entry), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_PAUSES = itertools.count(1)


def _test_pause(path: Path, phase: str) -> None:
    pattern = os.environ.get("TOFY_TEST_PAUSE_IN_WRITE")
    if pattern and fnmatch.fnmatchcase(path.name, pattern):
        _pause_here(path.name, phase)


def _pause_here(name: str, phase: str) -> None:
    """The test hook's pause: a marker the harness sees, kept until it lets the write go on."""
    folder = os.environ.get("TOFY_TEST_PAUSE_MARKERS")
    if not folder:
        return
    marker = Path(folder) / f"{next(_PAUSES):04d}.{name}.{phase}"
    marker.touch()
    deadline = time.monotonic() + 60.0
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
