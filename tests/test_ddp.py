"""Training under torchrun: two CPU processes (gloo) launched as a user would launch them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO, TINY_MODEL_ARGS, TINY_PHRASES
from tofy_core.runs.checkpoint import load_weights, read_state
from tofy_core.runs.events import read_events
from tofy_core.train import distributed

STEPS = 120
TRAIN = (*TINY_MODEL_ARGS, "--steps", str(STEPS), "--threads", "1", "--log-every", "5")
TRAIN = (*TRAIN, "--eval-every", "50", "--checkpoint-every", "1000")


def torchrun(home: Path, *args: str) -> subprocess.Popen:
    """`python -m torch.distributed.run --nproc-per-node 2 --standalone ARGS` (= torchrun)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "TOFY_HOME": str(home)}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    return subprocess.Popen(
        [*launcher, "--standalone", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=120)
    return output


def folder(home: Path, run_id: str) -> Path:
    return home / "data" / "runs" / run_id


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ddp_data") / "tiny.txt"
    path.write_text("\n".join(TINY_PHRASES) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, corpus) -> tuple[Path, Path]:
    """One uninterrupted 2-process run; each rank writes its own account of how it ended."""
    home, out = tmp_path_factory.mktemp("ddp_home"), tmp_path_factory.mktemp("ddp_out")
    worker = str(REPO / "tests" / "ddp_worker.py")
    process = torchrun(home, worker, str(out), "train", corpus, *TRAIN, "--run-id", "ref")
    output = finish(process)
    assert process.returncode == 0, output
    return home, out


def test_two_processes_train_one_model_into_one_run(reference):
    home, out = reference
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["step"] == ranks[1]["step"] == STEPS
    # averaged gradients and a teacher updated from identical weights: the same model twice
    assert "teacher.embed.weight" in ranks[0]["weights"]
    assert ranks[0]["weights"] == ranks[1]["weights"]
    # each rank drew its own batches
    assert [p.name for p in (home / "data" / "runs").iterdir()] == ["ref"]
    events = read_events(folder(home, "ref") / "metrics.jsonl")
    kinds = [e["event"] for e in events]
    assert kinds.count("start") == 1 and kinds.count("end") == 1
    assert kinds.count("eval") == 3  # steps 50, 100 and the end: written once, not per rank
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == list(range(5, STEPS + 1, 5))
    start, end = events[0], events[-1]
    assert start["processes"] == 2 and end["status"] == "finished"
    # tokens/s counts both processes' tokens
    assert end["real_tokens"] == ranks[0]["real_tokens"] + ranks[1]["real_tokens"]
    assert ranks[0]["real_tokens"] != ranks[1]["real_tokens"]  # different batches


def test_stop_and_resume_under_two_processes_continue_exactly(reference, tmp_path, corpus):
    ref_home, _ = reference
    home = tmp_path / "home"
    process = torchrun(home, "-m", "tofy_core", "train", corpus, *TRAIN, "--run-id", "cut")
    metrics = folder(home, "cut") / "metrics.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if metrics.exists() and '"event":"step"' in metrics.read_text():
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # Ctrl-C to the launcher, as in a terminal
    output = finish(process)
    run = json.loads((folder(home, "cut") / "run.json").read_text())
    assert run["status"] == "stopped", output
    assert 0 < run["step"] < STEPS
    state = read_state(folder(home, "cut") / "state.safetensors").tensors
    assert "rng.sampler" in state and "rng.sampler.rank1" in state  # both ranks' streams

    resumed = torchrun(home, "-m", "tofy_core", "resume", "cut")
    output = finish(resumed)
    assert resumed.returncode == 0, output
    assert "changes" not in output  # same number of processes: nothing to warn about
    mine = load_weights(folder(home, "cut") / "model.safetensors").tensors
    theirs = load_weights(folder(ref_home, "ref") / "model.safetensors").tensors
    assert mine.keys() == theirs.keys()
    for name, tensor in theirs.items():
        assert torch.equal(mine[name], tensor), name


def test_resuming_with_another_number_of_processes_says_the_data_order_changes(capsys):
    saved = {
        "sampler": torch.zeros(4, dtype=torch.uint8),
        "torch": torch.ones(4, dtype=torch.uint8),
    }
    assert distributed.saved_processes(saved) == 1
    two = distributed.states_for_rank(saved, distributed.World(0, 2), "r1")
    assert "resumes with 2" in capsys.readouterr().err and two.keys() == saved.keys()
    assert distributed.states_for_rank(saved, distributed.World(1, 2), "r1") == {}
    saved["sampler.rank1"] = torch.full((4,), 7, dtype=torch.uint8)
    assert distributed.saved_processes(saved) == 2
    own = distributed.states_for_rank(saved, distributed.World(1, 2), "r1")
    assert list(own) == ["sampler"] and int(own["sampler"][0]) == 7
    assert capsys.readouterr().err == ""
    alone = distributed.states_for_rank(saved, distributed.World(), "r1")
    assert "saved by 2 training processes and resumes with 1" in capsys.readouterr().err
    assert "sampler.rank1" not in alone


def test_a_process_that_fails_ends_the_other_with_a_clear_message(tmp_path, corpus):
    home, out = tmp_path / "home", tmp_path / "out"
    out.mkdir()
    worker = str(REPO / "tests" / "ddp_worker.py")
    os.environ["TOFY_TEST_FAIL_RANK"] = "1"
    try:
        process = torchrun(home, worker, str(out), "train", corpus, *TRAIN, "--run-id", "f")
    finally:
        del os.environ["TOFY_TEST_FAIL_RANK"]
    output = finish(process)  # no hang: torchrun ends the survivor, which says why
    assert process.returncode != 0
    assert "this process failed on purpose" in output
    run = json.loads((folder(home, "f") / "run.json").read_text())
    assert run["status"] == "failed"
    assert run["error"].startswith("process 0 lost another training process"), run["error"]
    assert "error: process 0 lost another training process" in output  # one line, no traceback
