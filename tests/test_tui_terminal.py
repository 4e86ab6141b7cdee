"""The real thing in a pseudo-terminal: `python -m tofy_tui` draws its first frame, starts the
default training with one key, and closing the terminal stops the child (no orphan)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

from tofy_core.runs import folders as runs

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def read_until(fd: int, found, timeout: float) -> bytes:
    """Read the terminal (it must be drained or the app blocks) until `found()` holds."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
        if found(seen):
            return seen
    raise AssertionError(f"timed out; last output: {seen[-300:]!r}")


def test_one_key_trains_and_closing_the_terminal_stops_the_child(tofy_home):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color"}
    env["OMP_NUM_THREADS"] = "1"
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, in its own terminal
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "tofy_tui"], env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 150, 0, 0))
        read_until(fd, lambda out: b"Max vocab" in out, 30)
        first_frame = time.monotonic() - started
        os.write(fd, b"s")  # the default settings: the built-in corpus
        read_until(fd, lambda out: b"tok/s" in out, 60)  # a step is on screen
        [info] = runs.list_runs()
        assert info.is_live
        os.close(fd)  # the terminal goes away: SIGHUP
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the app did not exit after its terminal closed")
        info = runs.read_info(info.path)
        assert info.status == "stopped" and not info.is_live
        print(f"first frame after {first_frame:.2f} s")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        for left in runs.list_runs():  # a failed test must not leave a trainer behind
            if left.is_live and left.pid:
                os.kill(left.pid, signal.SIGINT)
