"""Run folders under `<data>/runs/<run-id>/`: create, list, open, lock, delete. Every file is
written atomically (fsutil), so a crash never leaves a torn one; every file read back is
validated, and a folder with a bad one is listed `damaged` with the reason, never hiding the
others. Delete acts on folders inside the runs folder only and never follows a symlink."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tofy_core import fsutil, paths
from tofy_core.config import RunConfig
from tofy_core.errors import RunNotFoundError, TofyError
from tofy_core.runs.files import check_run_files, info_fields, read_safetensors_header
from tofy_core.runs.lock import (
    RunLock,
    lock_held,
    lock_run,
    pid_alive,
    process_start_time,
    trainer_process,
)
from tofy_core.runs.refs import (
    check_run_id,
    check_run_name,
    folder_inside_home,
    is_run_path,
    new_run_id,
)

__all__ = ["RunLock", "lock_run", "pid_alive", "process_start_time", "trainer_process"]
__all__ += ["check_run_id", "check_run_name", "is_run_path", "new_run_id"]  # from refs

RUN_FILE = "run.json"
CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
STATE_FILE = "state.safetensors"
VOCAB_FILE = "vocab.txt"
METRICS_FILE = "metrics.jsonl"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_name_free(name: str, but: str | None = None) -> None:
    """Refuse a name (or id) another run already answers to: every command that takes it
    would then find two runs. `but` is the run being renamed."""
    if not name:
        return
    for other in list_runs():
        if other.run_id != but and name in (other.name, other.run_id):
            raise TofyError(f"run {other.run_id} is already called {name!r}: pick another name")


@dataclass
class RunInfo:
    """What `run.json` says about a run, plus where it lives."""

    run_id: str
    path: Path
    name: str = ""
    status: str = "running"
    dataset: str = ""
    created: str = ""
    updated: str = ""
    pid: int | None = None
    error: str = ""
    step: int = 0
    steps: int = 0
    device: str = ""  # the device training last ran on (cpu, cuda:0), never "auto"
    pid_started: float | None = None  # the trainer process's start time: a recycled pid differs
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_live(self) -> bool:
        """Running and its process still exists, the very process that wrote run.json (a
        killed trainer leaves `running` behind, and its pid may now be another program's)."""
        if self.status != "running" or not pid_alive(self.pid, self.pid_started):
            return False
        # without a start time the pid may be anyone's now: live only while the run is held
        return self.pid_started is not None or lock_held(self.path)

    @property
    def is_damaged(self) -> bool:
        """A file of the folder cannot be read back; `error` says which and why."""
        return self.status == "damaged"

    @property
    def shown_status(self) -> str:
        if self.status == "running" and not self.is_live:
            return "interrupted"
        return self.status

    def file(self, name: str) -> Path:
        return self.path / name

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.run_id,
            "name": self.name,
            "status": self.status,
            "dataset": self.dataset,
            "created": self.created,
            "updated": self.updated,
            "pid": self.pid,
            "error": self.error,
            "step": self.step,
            "steps": self.steps,
            "device": self.device,
            "pid_started": self.pid_started,
            **self.extra,
        }


def _info_from_json(path: Path, data: dict[str, Any]) -> RunInfo:
    fields, extra = info_fields(path, data)
    return RunInfo(run_id=path.name, path=path, extra=extra, **fields)


def damaged_info(path: Path, reason: str) -> RunInfo:
    """The entry of a folder whose files cannot be read back: listed, never hidden."""
    return RunInfo(run_id=path.name, path=path, name=path.name, status="damaged", error=reason)


def write_info(info: RunInfo) -> None:
    """run.json; written by the trainer's own process, it records that process's start time."""
    info.updated = now_iso()
    if info.pid is None:
        info.pid_started = None
    elif info.pid == os.getpid():
        info.pid_started = process_start_time(info.pid)
    fsutil.atomic_write_json(info.file(RUN_FILE), info.to_json())


def write_config(info: RunInfo, config: RunConfig) -> None:
    """The run's config.json: what resume reads back."""
    fsutil.atomic_write_json(info.file(CONFIG_FILE), config.to_dict())


def create_run(config: RunConfig, run_id: str | None = None) -> RunInfo:
    """A fresh folder with run.json and config.json; refuses to reuse an existing id."""
    info = plan_run(config, run_id)
    make_run_folder(info, config)
    return info


def plan_run(config: RunConfig, run_id: str | None = None) -> RunInfo:
    """The RunInfo of a new run, its id checked and still free; nothing is written, so the
    work that can fail (data, model, weights) happens before the folder exists."""
    config.train.name = check_run_name(config.train.name)
    run_id = check_run_id(run_id or new_run_id(config.train.name))
    path = paths.runs_dir() / run_id
    if path.exists():
        raise TofyError(f"a run named {run_id!r} already exists: pick another --run-id")
    check_name_free(config.train.name)
    return RunInfo(
        run_id=run_id,
        path=path,
        name=config.train.name or run_id,
        status="running",
        dataset=config.train.data or "(default corpus)",
        pid=os.getpid(),
        steps=config.train.steps,
    )


def make_run_folder(
    info: RunInfo, config: RunConfig, fill: Callable[[RunInfo], None] | None = None
) -> None:
    """Create a planned run's folder with config.json and run.json (and what `fill` writes
    into `info.path` meanwhile): written in a hidden folder then renamed into place, so a run
    folder is never seen half made; refuses an id taken meanwhile."""
    final = info.path
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() or final.is_symlink():
        raise TofyError(f"a run named {info.run_id!r} already exists: pick another --run-id")
    remove_dead_staging(final.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{info.run_id}.", suffix=".new", dir=final.parent))
    try:
        info.path = staging
        # to the microsecond: runs made in the same second still list in the order made
        info.created = datetime.now(UTC).isoformat(timespec="microseconds")
        write_config(info, config)
        write_info(info)
        if fill is not None:
            fill(info)
        try:
            os.rename(staging, final)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) or final.exists():
                raise TofyError(
                    f"a run named {info.run_id!r} already exists: pick another --run-id"
                ) from None
            raise TofyError(f"cannot create run folder {final}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        info.path = final


STALE_STAGING_S = 600.0  # a staging folder with no readable owner, untouched this long


def remove_dead_staging(home: Path) -> list[str]:
    """Remove the hidden `.ID.XXXX.new` folders that processes killed while creating a run
    left behind: one whose run.json names a process that is gone, or, without a readable
    run.json, one untouched for STALE_STAGING_S. A live creator's folder is kept."""
    removed = []
    for path in home.glob(".*.new"):
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            data = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
            pid, started = data.get("pid"), data.get("pid_started")
            dead = not pid_alive(pid if isinstance(pid, int) else None, started)
        except (OSError, ValueError, AttributeError, TypeError):
            try:
                dead = time.time() - path.stat().st_mtime > STALE_STAGING_S
            except OSError:
                continue
        if dead:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def read_info(path: Path) -> RunInfo:
    """run.json, its fields checked; a torn or ill-typed file is one TofyError naming it."""
    file = path / RUN_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TofyError(f"run folder {path} has no run.json") from None
    except (OSError, ValueError) as exc:
        raise TofyError(f"{file} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise TofyError(f"{file} is not a JSON object")
    return _info_from_json(path, data)


def read_config(info: RunInfo) -> RunConfig:
    """config.json, validated; a torn or ill-typed file is one TofyError naming it."""
    file = info.file(CONFIG_FILE)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TofyError(f"run {info.run_id} has no readable config.json ({exc})") from None
    if not isinstance(data, dict):
        raise TofyError(f"{file} is not a JSON object")
    try:
        return RunConfig.from_dict(data).validate()
    except (TypeError, ValueError, AttributeError, KeyError, TofyError) as exc:
        raise TofyError(f"{file} is not a valid run config: {exc}") from None


def checkpoint_step(info: RunInfo, name: str = STATE_FILE) -> int | None:
    """The step of the run's last saved training state (where resume restarts), or of another
    safetensors file `name`, read from its header without loading it; None when there is none
    or it is not whole."""
    try:
        metadata = read_safetensors_header(info.file(name)).get("__metadata__") or {}
    except TofyError:
        return None
    step = metadata.get("step")
    return int(step) if isinstance(step, str) and step.isascii() and step.isdigit() else None


def remove_leftovers(info: RunInfo) -> list[str]:
    """Delete the temporary files a killed writer left in the run folder (fsutil's
    `.NAME.XXXX.tmp`); only the run's lock holder may, as a live writer's are in use."""
    removed = []
    for path in info.path.glob(".*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def list_runs() -> list[RunInfo]:
    """Every run folder, newest first: one whose files cannot be read back is listed
    `damaged` with the reason (see `inspect_run`), never hiding the others."""
    found = []
    for path in paths.runs_dir().iterdir():
        if path.name.startswith("."):
            continue  # a folder being created, or a temporary file
        found.append(inspect_run(path))
    return sorted(found, key=lambda info: (info.created, info.run_id), reverse=True)


def inspect_run(path: Path, *, usable: bool = False) -> RunInfo:
    """The folder's RunInfo, or a `damaged` one naming what cannot be read: the one verdict
    on a run folder, for this list and (with `usable`: the files must also make a model, see
    `files.check_run_files`) for the summaries of `tofy runs`, `tofy show` and the Models
    screen. A live run's weights, state and vocabulary are being written: not checked."""
    if path.is_symlink():
        return damaged_info(path, "a symbolic link, not a run folder (delete removes the link)")
    if not path.is_dir():
        return damaged_info(path, "a file, not a run folder")
    try:
        info = read_info(path)
        read_config(info)
        if not info.is_live:
            weights_due = info.status in ("finished", "stopped")
            files = (info.file(MODEL_FILE), info.file(STATE_FILE), info.file(VOCAB_FILE))
            check_run_files(*files, usable=usable, weights_due=weights_due)
    except TofyError as exc:
        return damaged_info(path, str(exc))
    return info


def open_run(ref: str, *, exact: bool = False) -> RunInfo:
    """A run by exact id, by a unique id prefix or by name, among the runs folder's runs; or
    by a folder path (with a `/`), which must be a run folder inside the runs folder. A folder
    in the current directory never shadows a run id. An empty reference names no run (it
    is a prefix of every id). With `exact` (a destructive command acting without asking) a
    prefix is only offered back, never taken."""
    if not ref.strip():
        raise RunNotFoundError("no run given: give a run id or name (see `tofy runs`)")
    if is_run_path(ref):
        return read_info(folder_inside_home(ref))
    runs = list_runs()
    by_id = lambda r: r.run_id == ref  # noqa: E731
    by_prefix = lambda r: r.run_id.startswith(ref)  # noqa: E731
    by_name = lambda r: r.name == ref  # noqa: E731
    for matcher in (by_id, by_name, by_prefix) if exact else (by_id, by_prefix, by_name):
        hits = [r for r in runs if matcher(r)]
        if len(hits) == 1 and exact and matcher is by_prefix:
            raise RunNotFoundError(
                f"no run is exactly {ref!r}; did you mean {hits[0].run_id}? give its full id"
            )
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            ids = ", ".join(r.run_id for r in hits[:5])
            raise RunNotFoundError(f"{ref!r} matches several runs ({ids}): give the full id")
    raise RunNotFoundError(f"no run {ref!r}: see `tofy runs` for the ids")


def delete_run(ref: str) -> RunInfo:
    """Remove a run folder of the runs folder; a symlink there is unlinked, never followed;
    a run that a trainer holds (its lock) is refused."""
    info = open_run(ref)
    path = paths.runs_dir() / info.run_id
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return info
    if info.is_live:
        raise TofyError(f"run {info.run_id} is still training (pid {info.pid}): stop it first")
    with lock_run(path, info.run_id):
        shutil.rmtree(path)
    for log in (f"{info.run_id}.log", f"{info.run_id}.resume.log"):  # the app's, if any
        (paths.logs_dir() / log).unlink(missing_ok=True)
    return info
