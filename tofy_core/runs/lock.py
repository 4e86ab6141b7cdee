"""One owner per run: an exclusive lock on the run folder's `.lock`, held by a trainer for
its whole life (the kernel drops it when the process dies, even on SIGKILL), and liveness by
pid AND process start time, so a dead run's recycled pid is never taken for its trainer."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import psutil

from tofy_core.errors import TofyError

LOCK_FILE = ".lock"
START_TOLERANCE_S = 1.0  # create_time() is derived from clock ticks: allow rounding


class RunLock:
    """A held lock; `release()` (or leaving a `with` block) lets the next owner in."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def lock_run(folder: Path, run_id: str) -> RunLock:
    """Take the run's lock now or refuse with the owner's pid; never waits."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(folder / LOCK_FILE, flags, 0o644)
    except OSError as exc:
        raise TofyError(f"cannot lock run {run_id} in {folder}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = _read_owner(fd)
        os.close(fd)
        raise TofyError(
            f"run {run_id} is being trained by another process (pid {owner}): "
            "stop it first, or wait for it to end"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return RunLock(fd)


def lock_held(folder: Path) -> bool:
    """Whether some process holds the run's lock now (a trainer does for its whole life).
    Asked only when run.json cannot say which process wrote it (no start time recorded)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return False  # no trainer ever held it
    except OSError:
        return True  # cannot tell: keep calling it live, the safe side
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own shared lock at once
    return False


def _read_owner(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


def process_start_time(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), None if there is no such one."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, ValueError, OverflowError):
        return None


def pid_alive(pid: int | None, started: float | None = None) -> bool:
    """Process `pid` exists and, when `started` is known, is the one that started then."""
    if not pid:
        return False
    actual = process_start_time(pid)
    if actual is None:
        return False
    return started is None or abs(actual - started) <= START_TOLERANCE_S


def trainer_process(pid: int | None, started: float | None) -> psutil.Process | None:
    """The live trainer process for signalling, None when gone or recycled; psutil checks
    the start time again at `send_signal`, so a pid reused meanwhile is not signalled."""
    if not pid_alive(pid, started) or started is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None
