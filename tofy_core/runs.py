"""Run folders under `<data>/runs/<run-id>/`: create, list, open, delete; every file is
written atomically (fsutil), so a crash never leaves a torn one."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tofy_core import fsutil, paths
from tofy_core.config import RunConfig
from tofy_core.errors import RunNotFoundError, TofyError

RUN_FILE = "run.json"
CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
STATE_FILE = "state.safetensors"
VOCAB_FILE = "vocab.txt"
METRICS_FILE = "metrics.jsonl"
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id(name: str = "") -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24]
    suffix = secrets.token_hex(2)
    return f"{stamp}-{slug}-{suffix}" if slug else f"{stamp}-{suffix}"


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise TofyError(
            f"run id {run_id!r} is not valid: use letters, digits, '.', '_' and '-' (max 100)"
        )
    return run_id


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_live(self) -> bool:
        """Running and its process still exists (a killed trainer leaves `running` behind)."""
        return self.status == "running" and pid_alive(self.pid)

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
            **self.extra,
        }


def _info_from_json(path: Path, data: dict[str, Any]) -> RunInfo:
    known = {"id", "name", "status", "dataset", "created", "updated", "pid", "error"}
    known |= {"step", "steps", "device"}
    return RunInfo(
        run_id=path.name,
        path=path,
        name=str(data.get("name", "")),
        status=str(data.get("status", "failed")),
        dataset=str(data.get("dataset", "")),
        created=str(data.get("created", "")),
        updated=str(data.get("updated", "")),
        pid=data.get("pid"),
        error=str(data.get("error", "")),
        step=int(data.get("step", 0) or 0),
        steps=int(data.get("steps", 0) or 0),
        device=str(data.get("device", "") or ""),
        extra={k: v for k, v in data.items() if k not in known},
    )


def write_info(info: RunInfo) -> None:
    info.updated = now_iso()
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
    run_id = check_run_id(run_id or new_run_id(config.train.name))
    path = paths.runs_dir() / run_id
    if path.exists():
        raise TofyError(f"a run named {run_id!r} already exists: pick another --run-id")
    return RunInfo(
        run_id=run_id,
        path=path,
        name=config.train.name or run_id,
        status="running",
        dataset=config.train.data or "(default corpus)",
        pid=os.getpid(),
        steps=config.train.steps,
    )


def make_run_folder(info: RunInfo, config: RunConfig) -> None:
    """Create a planned run's folder with config.json and run.json (removed again if they
    cannot be written); refuses an id taken meanwhile."""
    try:
        info.path.mkdir(parents=True)
    except FileExistsError:
        raise TofyError(
            f"a run named {info.run_id!r} already exists: pick another --run-id"
        ) from None
    try:
        info.created = now_iso()
        write_config(info, config)
        write_info(info)
    except BaseException:
        shutil.rmtree(info.path, ignore_errors=True)
        raise


def read_info(path: Path) -> RunInfo:
    try:
        data = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TofyError(f"run folder {path} has no readable run.json ({exc})") from None
    if not isinstance(data, dict):
        raise TofyError(f"run folder {path} has a run.json that is not an object")
    return _info_from_json(path, data)


def read_config(info: RunInfo) -> RunConfig:
    try:
        data = json.loads(info.file(CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TofyError(f"run {info.run_id} has no readable config.json ({exc})") from None
    return RunConfig.from_dict(data)


def checkpoint_step(info: RunInfo) -> int | None:
    """The step of the run's last saved training state (where resume restarts), read from
    the state file's header without loading it; None when there is none or it is unreadable."""
    try:
        with info.file(STATE_FILE).open("rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            if not 0 < length <= 1 << 24:
                return None
            header = json.loads(handle.read(length))
        return int(header["__metadata__"]["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_runs() -> list[RunInfo]:
    """Every readable run, newest first; folders without run.json are skipped."""
    found = []
    for path in paths.runs_dir().iterdir():
        if path.is_dir() and (path / RUN_FILE).is_file():
            try:
                found.append(read_info(path))
            except TofyError:
                continue
    return sorted(found, key=lambda info: (info.created, info.run_id), reverse=True)


def open_run(ref: str) -> RunInfo:
    """A run by exact id, by a unique id prefix, by name, or by folder path."""
    candidate = Path(ref).expanduser()
    if (candidate / RUN_FILE).is_file():
        return read_info(candidate)
    runs = list_runs()
    for matcher in (
        lambda r: r.run_id == ref,
        lambda r: r.run_id.startswith(ref),
        lambda r: r.name == ref,
    ):
        hits = [r for r in runs if matcher(r)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            ids = ", ".join(r.run_id for r in hits[:5])
            raise RunNotFoundError(f"{ref!r} matches several runs ({ids}): give the full id")
    raise RunNotFoundError(f"no run {ref!r}: see `tofy runs` for the ids")


def delete_run(ref: str) -> RunInfo:
    info = open_run(ref)
    if info.is_live:
        raise TofyError(f"run {info.run_id} is still training (pid {info.pid}): stop it first")
    shutil.rmtree(info.path)
    return info
