"""The training child process and the tailing of a run's `metrics.jsonl`.

`train_command` is the child's command line for a form's configuration and `shell_command`
the same as a user can paste it. `Launcher` starts `python -m tofy_core train … --run-id ID`
in its own session with its output in a log file, stops it with SIGINT (the trainer then
saves and writes `end: stopped`), and makes sure no child outlives the app unless the user
chose to leave it running. `RunTail` reads new events of any run, started here or headless in
another terminal, and says when the run is over. The Train screen drives them from a worker."""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

import tofy_core
from tofy_core import paths
from tofy_core.cli.argv import train_argv
from tofy_core.config import RunConfig
from tofy_core.errors import EXIT_INTERRUPTED, TofyError
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import EVENT, Kind
from tofy_core.runs.events import read_new_events
from tofy_tui.messages import RunEnd

STOP_GRACE_S = 30.0
LIVENESS_EVERY_S = 1.0


def train_command(
    config: RunConfig, run_id: str, processes: int = 1, refresh: bool = False
) -> list[str]:
    """`python -m tofy_core train …` for this configuration, from the engine's own writer of
    `tofy train` arguments (the data last, after `--`); with several `processes`, launched
    data-parallel through torchrun (`python -m torch.distributed.run`); `refresh` rebuilds a
    cached hub: dataset first."""
    launch = [sys.executable]
    if processes > 1:
        launch += ["-m", "torch.distributed.run", "--standalone"]
        launch += ["--nproc-per-node", str(processes)]
    first = ["--refresh"] if refresh else []
    return [*launch, "-m", "tofy_core", "train", *first, *train_argv(config, run_id)]


def shell_command(command: list[str]) -> str:
    """The child's command as a user can paste it into a shell, from any folder, to train the
    same settings again: quoted for a POSIX shell, the interpreter's full path first, the data
    file's path made absolute, and without `--run-id` (that run exists now; a new one gets a
    fresh id). When Tofy is not installed (run from a source checkout), PYTHONPATH says where
    the engine is."""
    shown = list(command)
    if "--run-id" in shown:
        at = shown.index("--run-id")
        del shown[at : at + 2]
    if len(shown) > 1 and shown[-2] == "--" and not shown[-1].startswith("hub:"):
        shown[-1] = str(Path(shown[-1]).expanduser().resolve())
    text = shlex.join(shown)
    if not _installed():
        text = f"PYTHONPATH={shlex.quote(str(_source_root()))} {text}"
    return text


def _source_root() -> Path:
    """The folder that holds the engine's package (a source checkout's root)."""
    return Path(tofy_core.__file__).resolve().parents[1]


def _installed() -> bool:
    try:
        metadata.distribution("tofy")
    except metadata.PackageNotFoundError:
        return False
    return True


def logs_dir() -> Path:
    return paths.logs_dir()


def _child_env() -> dict[str, str]:
    """The parent's environment, with this source tree importable and output unbuffered.

    The thread count is the trainer's to decide (the form's Threads field, else the engine's
    default rule, the same as `tofy train`'s), so nothing here sets OMP_NUM_THREADS."""
    env = dict(os.environ)
    root = str(_source_root())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class TrainingChild:
    """One training child: its run id, process and log file."""

    run_id: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen
    detached: bool = False
    stop_sent: bool = False
    old_ends: int = 0  # `end` events already in metrics.jsonl (a resumed run's earlier sessions)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def run_dir(self) -> Path:
        return paths.runs_dir() / self.run_id

    @property
    def pasteable(self) -> str:
        """This command as a user can paste it to train the same settings again."""
        return shell_command(self.command)

    def poll(self) -> int | None:
        return self.process.poll()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> bool:
        """Ask the trainer to finish its step, save and end as `stopped` (SIGINT)."""
        return self._signal(signal.SIGINT, mark_stop=True)

    def terminate(self) -> bool:
        return self._signal(signal.SIGTERM)

    def kill(self) -> bool:
        return self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals, mark_stop: bool = False) -> bool:
        if not self.running:
            return False
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        self.stop_sent = self.stop_sent or mark_stop
        return True

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = 20) -> list[str]:
        """The last lines of the child's output, progress-bar redraws (`\\r`) collapsed."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(max(0, handle.seek(0, os.SEEK_END) - 16384))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return []
        shown = [line.rsplit("\r", 1)[-1].rstrip() for line in text.splitlines()]
        return [line for line in shown if line.strip()][-lines:]

    def error_text(self) -> str:
        """The child's own explanation of why it ended: its last line of output."""
        tail = self.log_tail()
        code = self.poll()
        if tail:
            return tail[-1].removeprefix("error: ")
        return f"the trainer exited with code {code} and printed nothing"


@dataclass
class Launcher:
    """Starts training children and stops them when the app goes away."""

    children: list[TrainingChild] = field(default_factory=list)
    _stopping: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        atexit.register(self.shutdown)

    def start_training(
        self, config: RunConfig, processes: int = 1, run_id: str = "", refresh: bool = False
    ) -> TrainingChild:
        """Train `config` in a child, as a new run (in `processes` under torchrun) in the
        folder `run_id` (empty: a dated one)."""
        run_id = run_id or runs.new_run_id(config.train.name)
        return self.start(train_command(config, run_id, processes, refresh), run_id)

    def resume(self, run_id: str, steps: int | None = None) -> TrainingChild:
        """Continue an existing run in a child: the engine's `tofy resume` command line."""
        command = [sys.executable, "-m", "tofy_core", "resume", run_id]
        command += ["--steps", str(steps)] if steps is not None else []
        metrics = paths.runs_dir() / run_id / runs.METRICS_FILE
        ended = sum(e.get(EVENT) == Kind.END for e in read_new_events(metrics, 0)[0])
        child = self.start(command, run_id, resuming=True)
        child.old_ends = ended
        return child

    def start(self, command: list[str], run_id: str, resuming: bool = False) -> TrainingChild:
        runs.check_run_id(run_id)
        if not resuming and (paths.runs_dir() / run_id).exists():
            raise TofyError(f"a run named {run_id!r} already exists")
        log_path = logs_dir() / f"{run_id}{'.resume' if resuming else ''}.log"
        with log_path.open("ab") as log:  # a resume adds to the last one's log
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=_child_env(),
                    start_new_session=True,  # the terminal's signals never reach it directly
                )
            except OSError as exc:
                raise TofyError(f"could not start the trainer: {exc}") from None
        child = TrainingChild(run_id, command, log_path, process)
        self.children.append(child)
        return child

    def running(self) -> list[TrainingChild]:
        """The app's own children still training (every screen asks here: one owner)."""
        return [c for c in self.children if not c.detached and c.running]

    def child_of(self, run_id: str) -> TrainingChild | None:
        """The app's own child training `run_id`, if any."""
        return next((c for c in reversed(self.running()) if c.run_id == run_id), None)

    def detach_all(self) -> list[TrainingChild]:
        """Leave every running child to finish on its own (the user asked)."""
        left = self.running()
        for child in left:
            child.detached = True
        return left

    def stop_all(self, grace: float | None = None) -> None:
        """SIGINT every attached child, wait for them to save, then insist: SIGTERM, and
        SIGKILL as the last resort. Blocks: the app calls it off its event loop."""
        children = self.running()
        for child in children:
            child.stop()
        deadline = time.monotonic() + (STOP_GRACE_S if grace is None else grace)
        for child in children:
            if child.wait(max(0.0, deadline - time.monotonic())) is None:
                child.terminate()
                if child.wait(5.0) is None:
                    child.kill()
                    child.wait(5.0)

    def stop_in_background(self) -> None:
        """Start stopping every attached child in a thread and return at once (the app's
        loop must not wait 30 s at exit); `shutdown` waits for it. The thread is not a
        daemon: the process stays until the children are stopped."""
        if self._stopping is None and self.running():
            self._stopping = threading.Thread(target=self.stop_all, name="tofy-stop-children")
            self._stopping.start()

    def shutdown(self) -> None:
        """Stop every attached child and wait until they are gone (off the app's loop)."""
        if self._stopping is not None:
            self._stopping.join()
        self.stop_all()
        atexit.unregister(self.shutdown)


def signal_run(info: runs.RunInfo, sig: signal.Signals = signal.SIGINT) -> bool:
    """Send a signal to a run started elsewhere (its pid comes from run.json), only to the
    very process that wrote it: a dead run's pid now used by another program (its start time
    differs) is never signalled."""
    if info.status != "running":
        return False
    process = runs.trainer_process(info.pid, info.pid_started)
    if process is None:
        return False
    try:
        process.send_signal(sig)  # psutil checks the start time again right before sending
    except (psutil.Error, OSError):
        return False
    return True


# ---------------------------------------------------------------- tailing


class RunTail:
    """Reads a run's new events; `poll()` also tells when the run is over.

    With a child, its exit without an `end` event is a failure whose text comes from the
    child's output. Without one (a run started elsewhere), a trainer pid that disappeared
    without `end` means the run was interrupted."""

    def __init__(self, run_dir: Path, child: TrainingChild | None = None) -> None:
        self.run_dir = run_dir
        self.metrics = run_dir / runs.METRICS_FILE
        self.child = child
        self.offset = 0
        self.ended: RunEnd | None = None
        self._checked_alive = 0.0
        self._old_ends = child.old_ends if child is not None else 0

    def poll(self) -> tuple[list[dict[str, Any]], RunEnd | None]:
        if self.ended is not None:
            return [], self.ended
        events = self._read()
        end = self._end_in(events)
        if end is None:
            end = self._ended_without_event()
            if end is not None:
                more = self._read()  # events written between the read and the exit
                events += more
                end = self._end_in(more) or end
        self.ended = end
        return events, end

    def _read(self) -> list[dict[str, Any]]:
        events, self.offset = read_new_events(self.metrics, self.offset)
        return events

    def _end_in(self, events: list[dict[str, Any]]) -> RunEnd | None:
        for event in events:
            if event.get(EVENT) == Kind.END and self._old_ends > 0:
                self._old_ends -= 1  # an earlier session's end, before a resume
            elif event.get(EVENT) == Kind.END:
                step = event.get("step")
                return RunEnd(
                    str(event.get("status", "failed")),
                    str(event.get("error") or ""),
                    step if isinstance(step, int) else None,
                )
        return None

    def _ended_without_event(self) -> RunEnd | None:
        if self.child is not None:
            code = self.child.poll()
            if code is None:
                return None
            if code == EXIT_INTERRUPTED and self.child.stop_sent:
                return RunEnd("stopped", "stopped before training began")
            return RunEnd("failed", self.child.error_text())
        now = time.monotonic()
        if now - self._checked_alive < LIVENESS_EVERY_S:
            return None
        self._checked_alive = now
        try:
            info = runs.read_info(self.run_dir)
        except TofyError as exc:
            return RunEnd("failed", str(exc))
        if info.is_live:
            return None
        if info.status in ("finished", "stopped", "failed"):
            return RunEnd(info.status, info.error, info.step)
        return RunEnd("interrupted", "the trainer's process is gone and wrote no end event")
