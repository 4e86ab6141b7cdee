"""The process's stdout and stderr made safe to lose: a reader that died (`tee` or `grep`
killed by the same Ctrl-C that stops training) or a closed stream must never turn a stopped
run into a failed one, nor print a traceback at exit. Writes to a lost stream are dropped."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class LosableStream:
    """A text stream whose writes and flushes are dropped once the other end is gone.

    The file descriptor is pointed at /dev/null when that happens, so the interpreter's own
    flush at exit (which bypasses this wrapper) finds somewhere to write, not a broken pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # EPIPE, EBADF, EIO, or a closed file
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._lose()

    def isatty(self) -> bool:
        try:
            return not self.lost and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _lose(self) -> None:
        self.lost = True
        try:
            fd = self._stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError):
            pass


@contextmanager
def losable_std_streams() -> Iterator[None]:
    """sys.stdout and sys.stderr as `LosableStream`s for the duration, then as they were."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = LosableStream(sys.stdout), LosableStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # what is still buffered goes now, or is dropped, not at exit
        sys.stdout, sys.stderr = saved
