"""Real run folders for the Models tests: tiny runs trained once per session by the engine's
own `tofy train`, copied into each test's TOFY_HOME, and ways to damage one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, TINY_MODEL_ARGS, TINY_PHRASES

from tofy_core import paths

TRAIN = (*TINY_MODEL_ARGS, "--max-seq", "16", "--log-every", "5", "--eval-every", "10")
RUNS = (("alpha", "30"), ("beta", "10"))  # name, steps


def train_session_runs(factory) -> Path:
    """Two finished runs (alpha: 30 steps, beta: 10), trained once per test session (every
    test module that asks shares them)."""
    root = factory.getbasetemp() / "models-session-runs"
    if (root / "home" / "data" / "runs" / RUNS[-1][0] / "model.safetensors").is_file():
        return root / "home" / "data" / "runs"
    root.mkdir(exist_ok=True)
    data = root / "tiny.txt"
    data.write_text("\n".join(f"{p}\tok." for p in TINY_PHRASES) + "\n", encoding="utf-8")
    home = root / "home"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(home), "OMP_NUM_THREADS": "1"}
    train = [sys.executable, "-m", "tofy_core", "train", *TRAIN, "--threads", "1"]
    trainers = []
    for name, steps in RUNS:  # both at once: most of each is starting Python and torch
        if trainers:  # but each run made after the one before it: "newest first" is known
            wait_for_file(home / "data" / "runs" / trainers[-1][0] / "run.json", trainers[-1][1])
        command = [*train, "--steps", steps, f"--name={name}", "--run-id", name, "--", str(data)]
        started = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        trainers.append((name, started))
    for _, trainer in trainers:
        _, err = trainer.communicate(timeout=120)
        assert trainer.returncode == 0, err.decode()
    return home / "data" / "runs"


def wait_for_file(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until `path` exists, or fail with the process's error if it ended without making it."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if process.poll() is not None and not path.is_file():
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        assert time.monotonic() < deadline, f"{path} was not made"
        time.sleep(0.05)


def copy_runs(source: Path) -> Path:
    """The session's runs, copied into this test's runs folder."""
    target = paths.runs_dir()
    for run in source.iterdir():
        shutil.copytree(run, target / run.name)
    return target


def damage(run: Path, how: str) -> None:
    """Break one file of a run the ways a crash, a bad disk or a person can."""
    if how == "truncated weights":
        model = run / "model.safetensors"
        os.truncate(model, model.stat().st_size // 2)
    elif how == "random weights":
        (run / "model.safetensors").write_bytes(os.urandom(4096))
    elif how == "torn run.json":
        (run / "run.json").write_text('{"name": "torn", "status": "fin', encoding="utf-8")
    elif how == "short vocab":
        lines = (run / "vocab.txt").read_text(encoding="utf-8").splitlines()
        (run / "vocab.txt").write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    elif how == "missing vocab":
        (run / "vocab.txt").unlink()
    elif how == "bad config":
        (run / "config.json").write_text('{"model": {"dim": "big"}}', encoding="utf-8")
    else:
        raise ValueError(how)
