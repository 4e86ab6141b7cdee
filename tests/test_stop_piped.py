"""Stopping a run whose output goes through a pipe: Ctrl-C in a terminal reaches the whole
foreground group, so the reader (`tee`, `grep`) dies with the trainer's stop. The stop saves
first; a dead or closed stdout/stderr never turns it into a failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, TINY_MODEL_ARGS, run_cli

from tofy_core.runs import checkpoint

TRAIN = (*TINY_MODEL_ARGS, "--steps", "100000", "--threads", "1", "--log-every", "1")
TRAIN = (*TRAIN, "--eval-every", "100000", "--checkpoint-every", "100000")


def steps_logged(folder: Path) -> int:
    """The last step event's step in the run's metrics (0 before the first)."""
    try:
        lines = (folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0
    steps = [json.loads(line)["step"] for line in lines if '"event":"step"' in line]
    return steps[-1] if steps else 0


def foreground() -> None:
    """In the child, before exec: Ctrl-C as a terminal's foreground job gets it. A job that
    a non-interactive shell started in the background inherits SIGINT ignored, and so would
    `cat` and the trainer here, whatever ran the tests."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pipe_reader() -> subprocess.Popen:
    """`cat` reading the pipe, leading a new process group as a shell's foreground pipeline."""
    return subprocess.Popen(
        ["cat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=foreground,
    )


def piped_trainer(home: Path, data: Path, run_id: str, *, stderr_too: bool):
    """`tofy train … | cat` started in its own process group, as a shell runs a pipeline
    in the foreground; returns (reader, trainer)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(home)}
    reader = pipe_reader()
    trainer = subprocess.Popen(
        [sys.executable, "-m", "tofy_core", "train", str(data), *TRAIN, "--run-id", run_id],
        stdin=subprocess.DEVNULL,
        stdout=reader.stdin,
        stderr=reader.stdin if stderr_too else subprocess.DEVNULL,
        env=env,
        cwd=REPO,
        process_group=reader.pid,
        preexec_fn=foreground,
    )
    reader.stdin.close()  # the trainer holds the pipe's only write end now
    return reader, trainer


def ctrl_c_through_a_pipe(home: Path, data: Path, run_id: str, *, stderr_too: bool) -> Path:
    folder = home / "data" / "runs" / run_id
    reader, trainer = piped_trainer(home, data, run_id, stderr_too=stderr_too)
    deadline = time.monotonic() + 90
    while steps_logged(folder) < 6:
        assert trainer.poll() is None, "the trainer ended before the Ctrl-C"
        assert time.monotonic() < deadline, "the trainer never reached step 6"
        time.sleep(0.05)
    os.killpg(reader.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole group
    assert reader.wait(timeout=10) == -signal.SIGINT  # the reader died like tee does
    assert trainer.wait(timeout=60) == 130
    return folder


def test_ctrl_c_through_a_pipe_saves_and_resumes(tofy_home, tiny_corpus):
    folder = ctrl_c_through_a_pipe(tofy_home, tiny_corpus, "piped", stderr_too=True)
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "stopped", info["error"]
    assert info["error"] == ""
    reached = checkpoint.read_state(folder / "state.safetensors").step
    assert reached >= 6 and info["step"] == reached
    assert steps_logged(folder) == reached  # the stop's own step line is written, not lost

    resumed = run_cli("resume", "piped", "--steps", str(reached + 4), TOFY_HOME=str(tofy_home))
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert after["status"] == "finished" and after["step"] == reached + 4


def test_ctrl_c_with_only_stdout_piped_saves(tofy_home, tiny_corpus):
    """`tofy train … | tee log`: stderr stays on the terminal, stdout's reader dies."""
    folder = ctrl_c_through_a_pipe(tofy_home, tiny_corpus, "teed", stderr_too=False)
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "stopped", info["error"]
    assert checkpoint.read_state(folder / "state.safetensors").step == info["step"] >= 6


def test_ctrl_c_through_torchrun_and_a_pipe_saves_and_resumes(tofy_home, tiny_corpus):
    """`torchrun … | grep -v '^step'` and Ctrl-C: the terminal signals every rank, torchrun
    and the reader; torchrun passes the signal on to its ranks. Rank 0 saves the step all
    ranks agreed to stop at, whatever became of the pipe."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(tofy_home)}
    env["OMP_NUM_THREADS"] = "1"
    reader = pipe_reader()
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    train = ["-m", "tofy_core", "train", str(tiny_corpus), *TRAIN, "--run-id", "ranks"]
    torchrun = subprocess.Popen(
        [*launcher, "--standalone", *train],
        stdin=subprocess.DEVNULL,
        stdout=reader.stdin,
        stderr=reader.stdin,
        env=env,
        cwd=REPO,
        process_group=reader.pid,
        preexec_fn=foreground,
    )
    reader.stdin.close()
    folder = tofy_home / "data" / "runs" / "ranks"
    deadline = time.monotonic() + 120
    while steps_logged(folder) < 6:
        assert torchrun.poll() is None, "torchrun ended before the Ctrl-C"
        assert time.monotonic() < deadline, "the ranks never reached step 6"
        time.sleep(0.05)
    os.killpg(reader.pid, signal.SIGINT)
    assert reader.wait(timeout=10) == -signal.SIGINT
    torchrun.wait(timeout=90)

    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "stopped", info["error"]
    reached = checkpoint.read_state(folder / "state.safetensors").step
    assert reached >= 6 and info["step"] == reached
    resumed = run_cli("resume", "ranks", "--steps", str(reached + 4), TOFY_HOME=str(tofy_home))
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert after["status"] == "finished" and after["step"] == reached + 4
