"""Atomic file writes, the one way Tofy writes a file it will read back.

The data goes to a temporary file in the target's folder, is flushed and fsynced, then renamed
over the target: a crash or a full disk at any instant leaves the old file or the new one,
never a torn one, and the temporary file is removed on any failure (one a SIGKILL leaves
behind is removed by the run's next owner: `runs.remove_leftovers`). A symlink at the target
is replaced, never written through.

`TOFY_TEST_WRITE_DELAY` (seconds, for the fault tests only) waits between the fsync and the
rename, widening the window a kill can land in."""

from __future__ import annotations

import contextlib
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
        _test_delay()
        os.replace(tmp, path)
        _fsync_folder(path.parent)
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


def _test_delay() -> None:
    value = os.environ.get("TOFY_TEST_WRITE_DELAY")
    if value:
        with contextlib.suppress(ValueError):
            time.sleep(min(float(value), 5.0))
