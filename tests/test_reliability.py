"""No lost runs: one checkpoint is one atomic file, one trainer owns a run, liveness survives
a recycled pid, and delete never leaves the runs folder."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from conftest import TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.cli.train import resume_trainer
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.errors import TofyError
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.events import EventWriter, read_events
from tofy_core.train.trainer import Trainer
from tofy_tui.training import signal_run


def tiny_config(data, steps: int, checkpoint_every: int = 4) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    train = TrainConfig(
        data=str(data), steps=steps, batch=4, log_every=2, checkpoint_every=checkpoint_every
    )
    return RunConfig(model, train).validate()


def trained(data, run_id: str, steps: int = 8) -> runs.RunInfo:
    config = tiny_config(data, steps)
    trainer = Trainer(runs.create_run(config, run_id), config, prepare_data(config))
    assert trainer.fit() == "finished"
    return runs.open_run(run_id)


def test_a_kill_between_the_state_and_the_model_file_loses_nothing(tiny_corpus):
    """The state file is the checkpoint: a model file a kill left at an older step is
    rewritten on resume instead of the run being refused forever."""
    info = trained(tiny_corpus, "pair", steps=4)
    older = info.file(runs.MODEL_FILE).read_bytes()  # the export of step 4
    again = resume_trainer(info, steps=8)
    assert again.fit() == "finished"
    info.file(runs.MODEL_FILE).write_bytes(older)  # as if killed right after the state rename
    (info.path / ".state.safetensors.x1y2.tmp").write_bytes(b"half a file")

    resumed = resume_trainer(runs.open_run("pair"), steps=10)
    assert resumed.step == 8
    assert checkpoint.load_weights(info.file(runs.MODEL_FILE)).step == 8  # repaired
    assert not list(info.path.glob(".*.tmp"))  # the leftover is gone
    assert resumed.fit() == "finished"
    resumed.session.release()


def test_events_replayed_after_a_resume_are_read_once(tiny_corpus):
    info = trained(tiny_corpus, "replay", steps=8)
    writer = EventWriter(info.file(runs.METRICS_FILE))
    # a killed session had logged steps 10 and 12 past its last checkpoint (step 8)
    writer.write("step", step=10, loss=9.0)
    writer.write("step", step=12, loss=9.0)
    resume_trainer(runs.open_run("replay"), steps=12).fit()
    steps = [e["step"] for e in read_events(info.file(runs.METRICS_FILE)) if e["event"] == "step"]
    assert steps == sorted(set(steps)) and steps[-1] == 12
    losses = [e["loss"] for e in read_events(info.file(runs.METRICS_FILE)) if e["event"] == "step"]
    assert 9.0 not in losses  # the latest session's values, not the lost one's


def test_a_second_trainer_is_refused_naming_the_owner(tiny_corpus):
    info = trained(tiny_corpus, "owned")
    held = runs.lock_run(info.path, info.run_id)  # another trainer holds the run
    with held, pytest.raises(TofyError, match=f"pid {os.getpid()}"):
        resume_trainer(runs.open_run("owned"), steps=12)
    assert runs.read_info(info.path).status == "finished"  # the refused one wrote nothing
    again = resume_trainer(runs.open_run("owned"), steps=10)  # the lock was let go
    assert again.fit() == "finished"


def test_a_recycled_pid_is_neither_live_nor_signalled(tiny_corpus):
    info = trained(tiny_corpus, "ghost")
    data = json.loads(info.file(runs.RUN_FILE).read_text())
    # the dead trainer's pid now belongs to this very test process, started at another time
    data.update(status="running", pid=os.getpid(), pid_started=time.time() - 10_000)
    info.file(runs.RUN_FILE).write_text(json.dumps(data))
    ghost = runs.read_info(info.path)
    assert not ghost.is_live and ghost.shown_status == "interrupted"
    received = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: received.append(1))
    try:
        assert signal_run(ghost, signal.SIGUSR1) is False
        data["pid_started"] = runs.process_start_time(os.getpid())
        info.file(runs.RUN_FILE).write_text(json.dumps(data))
        assert signal_run(runs.read_info(info.path), signal.SIGUSR1) is True  # the real one
        time.sleep(0.05)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == [1]


def test_delete_never_leaves_the_runs_folder(tiny_corpus, tmp_path):
    trained(tiny_corpus, "myrun")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.json").write_text(json.dumps({"status": "finished"}))
    result = run_cli("delete", str(outside), "--yes")
    assert result.returncode == 2 and "not a run folder inside" in result.stderr
    assert (outside / "run.json").is_file()

    shadow = tmp_path / "myrun"  # ./myrun in the current folder does not shadow the id
    shadow.mkdir()
    (shadow / "run.json").write_text(json.dumps({"status": "finished"}))
    result = run_cli("delete", "myrun", "--yes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (shadow / "run.json").is_file()
    assert not (paths.runs_dir() / "myrun").exists()


def test_a_symlinked_run_folder_is_unlinked_never_followed(tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "run.json").write_text(json.dumps({"status": "finished"}))
    (target / "keep.txt").write_text("mine")
    link = paths.runs_dir() / "linked"
    link.symlink_to(target, target_is_directory=True)
    [listed] = runs.list_runs()
    assert listed.status == "damaged" and "symbolic link" in listed.error
    result = run_cli("delete", "linked", "--yes")
    assert result.returncode == 0, result.stderr
    assert not link.is_symlink() and (target / "keep.txt").read_text() == "mine"


def test_events_are_not_appended_through_a_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("untouched\n")
    link = tmp_path / "metrics.jsonl"
    link.symlink_to(elsewhere)
    with pytest.raises(OSError):
        EventWriter(link).write("step", step=1, loss=1.0)
    assert elsewhere.read_text() == "untouched\n"


@pytest.mark.parametrize(
    ("file", "content", "reason"),
    [
        ("run.json", '{"status": "finished", "step": "abc"}', "'step'"),
        ("run.json", '{"status": "finished", "pid": "abc"}', "'pid'"),
        ("run.json", '{"status": "fini', "not readable JSON"),
        ("config.json", '{"model": [1, 2]}', "config"),
        ("config.json", '{"model": {"dim": "big"}}', "config"),
        ("vocab.txt", "hello\nworld\n", "vocab"),
        ("model.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{}", "safetensors"),
    ],
)
def test_one_bad_file_marks_its_run_damaged_and_hides_no_other(tiny_corpus, file, content, reason):
    trained(tiny_corpus, "good")
    bad = trained(tiny_corpus, "bad", steps=4)
    bad.file(file).write_text(content)
    listed = {info.run_id: info for info in runs.list_runs()}
    assert listed["good"].status == "finished"
    assert listed["bad"].is_damaged and reason in listed["bad"].error
    result = run_cli("runs")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "good" in result.stdout and "bad" in result.stdout


def test_damaged_runs_can_still_be_deleted(tiny_corpus):
    bad = trained(tiny_corpus, "torn", steps=4)
    bad.file(runs.RUN_FILE).write_text("{")
    result = run_cli("delete", "torn", "--yes")
    assert result.returncode == 0, result.stderr
    assert not bad.path.exists()


def test_a_home_that_is_a_file_is_one_line(tmp_path, tiny_corpus):
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    for args in (("runs",), ("show", "x"), ("train", str(tiny_corpus), *TINY_MODEL_ARGS)):
        result = run_cli(*args, TOFY_HOME=str(home))
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and "TOFY_HOME" in result.stderr


def test_a_read_only_home_is_one_line(tmp_path, tiny_corpus):
    if os.geteuid() == 0:
        pytest.skip("root writes through read-only permissions")
    home = tmp_path / "ro"
    (home / "data" / "runs").mkdir(parents=True)
    (home / "cache").mkdir()
    home.chmod(0o500)
    (home / "data").chmod(0o500)
    (home / "data" / "runs").chmod(0o500)
    try:
        result = run_cli("train", str(tiny_corpus), *TINY_MODEL_ARGS, TOFY_HOME=str(home))
    finally:
        for folder in (home / "data" / "runs", home / "data", home):
            folder.chmod(0o700)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") <= 2, result.stderr


def test_impossible_settings_are_refused_before_anything_is_allocated():
    import torch

    from tofy_core.errors import ConfigError
    from tofy_core.train.preflight import check_memory

    with pytest.raises(ConfigError, match="64-bit"):
        RunConfig(train=TrainConfig(seed=2**70)).validate()
    with pytest.raises(ConfigError, match="more than max_seq"):
        RunConfig(ModelConfig(max_seq=8), TrainConfig(masks_per_seq=50)).validate()
    huge = RunConfig(ModelConfig(dim=65536, layers=64, heads=64, max_vocab=8000))
    huge.model.vocab_size = 8000
    with pytest.raises(ConfigError, match=r"needs about .* free"):
        check_memory(huge, torch.device("cpu"))


def test_stdin_that_is_not_utf8_is_one_line(monkeypatch, capsys):
    import io
    import sys

    from tofy_core.cli import main

    raw = io.TextIOWrapper(io.BytesIO(b"we _ => went\n\xff\xfe\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", raw)
    monkeypatch.setattr("tofy_core.cli.dispatch", lambda argv: sys.stdin.read())
    assert main(["diff", "x"]) == 2
    assert "not UTF-8" in capsys.readouterr().err
