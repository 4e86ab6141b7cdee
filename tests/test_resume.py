"""Resuming a run: from any folder, on the same data (checked by hash), exactly without
--steps, and with --steps as an explicit new schedule phase; `tofy show` tells the truth."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch
from conftest import TINY_MODEL_ARGS, run_cli
from safetensors.torch import load_file

from tofy_core import paths
from tofy_core.cli.train import resume_trainer
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.errors import ConfigError
from tofy_core.model.latent import export_tensors
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.schedule import get_lr, get_momentum
from tofy_core.train.trainer import Trainer


def test_extending_a_schedule_warms_up_again_instead_of_jumping():
    train = TrainConfig(steps=2000, lr=3e-4, min_lr=1e-5)
    end_of_run = get_lr(1999, train)
    assert end_of_run == pytest.approx(1e-5, abs=1e-7)
    bent = TrainConfig(steps=4000, lr=3e-4, min_lr=1e-5)
    assert get_lr(2000, bent) > 1.5e-4  # what changing `steps` alone did: back up the cosine

    train.extend(2000, 4000)
    assert train.steps == 4000 and train.phases == [[0, 2000], [2000, 4000]]
    assert get_lr(1999, train) == end_of_run  # the first phase is as it ran
    assert get_lr(2000, train) == pytest.approx(3e-4 / 200)  # warm-up again: 200 steps
    assert get_lr(2199, train) == pytest.approx(3e-4)
    assert get_lr(3999, train) == pytest.approx(1e-5, abs=1e-7)
    assert get_momentum(1999, train) == pytest.approx(1.0, abs=1e-5)
    assert get_momentum(2000, train) == pytest.approx(0.996)
    assert get_momentum(4000, train) == pytest.approx(1.0)

    stored = RunConfig.from_dict(json.loads(json.dumps(RunConfig(train=train).to_dict())))
    assert stored.validate().train.phases == train.phases
    before = [get_lr(s, train) for s in range(0, 2600, 7)]
    train.extend(2600, 6000)  # cut the second phase short: it stays as it ran
    assert train.phases == [[0, 2000], [2000, 4000], [2600, 6000]]
    assert [get_lr(s, train) for s in range(0, 2600, 7)] == before
    assert get_lr(2600, train) == pytest.approx(3e-4 / 340)


def test_a_single_phase_schedule_is_the_seeds_formula_to_the_bit():
    """Runs saved before phases existed resume exactly: same floats, not just close ones."""
    train = TrainConfig(steps=1000, lr=1e-3, min_lr=1e-5)
    train.extend(400, 1000)  # the same total: no new phase
    assert train.phases == []
    for step in (0, 50, 99, 100, 400, 999, 1000):
        if step < 100:
            expected = 1e-3 * (step + 1) / 100
        else:
            progress = min((step - 100) / 900, 1.0)
            expected = 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * progress))
        assert get_lr(step, train) == expected
        assert get_momentum(step, train) == 0.996 + (1.0 - 0.996) * min(step / 1000, 1.0)


def test_steps_at_or_below_the_current_step_is_a_clear_error():
    train = TrainConfig(steps=2000)
    with pytest.raises(ConfigError, match="not above the run's current step 1500"):
        train.extend(1500, 1200)
    with pytest.raises(ConfigError, match="phases must be"):
        TrainConfig(steps=100, phases=[[0, 50], [60, 100]]).validate()


def tiny_config(data, steps: int) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    train = TrainConfig(data=str(data), steps=steps, batch=4, log_every=5, checkpoint_every=100)
    return RunConfig(model, train).validate()


def trained(config: RunConfig, run_id: str) -> runs.RunInfo:
    trainer = Trainer(runs.create_run(config, run_id), config, prepare_data(config))
    assert trainer.fit() == "finished"
    return runs.open_run(run_id)


def test_an_extended_run_stopped_and_resumed_continues_bit_exactly(tiny_corpus):
    full = resume_trainer(trained(tiny_config(tiny_corpus, 10), "full"), steps=30)
    assert full.train.phases == [[0, 10], [10, 30]]
    assert full.fit() == "finished"

    part = resume_trainer(trained(tiny_config(tiny_corpus, 10), "part"), steps=30)
    make_batch, calls = part.make_batch, []

    def stop_after_7():
        calls.append(1)
        if len(calls) == 7:
            part.request_stop()
        return make_batch()

    part.make_batch = stop_after_7
    assert part.fit() == "stopped" and part.step == 17
    again = resume_trainer(runs.open_run("part"))  # no --steps: the recorded phases
    assert again.step == 17 and again.train.phases == [[0, 10], [10, 30]]
    assert again.fit() == "finished"
    expected, got = export_tensors(full.model), export_tensors(again.model)
    for name in expected:
        assert torch.equal(expected[name], got[name]), name
    starts = [e for e in read_events(again.run.file(runs.METRICS_FILE)) if e["event"] == "start"]
    assert [(e["phase"], e["phase_start"], e["phase_end"]) for e in starts] == [
        (1, 0, 10),
        (2, 10, 30),
        (2, 10, 30),
    ]


def train_cli(data: str, run_id: str, cwd, steps: str = "8"):
    result = run_cli("train", data, "--steps", steps, *TINY_MODEL_ARGS, "--run-id", run_id, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return paths.runs_dir() / run_id


def test_resume_from_another_folder_and_with_moved_or_changed_data(tiny_corpus, tmp_path):
    work = tiny_corpus.parent
    folder = train_cli("tiny.txt", "rel", cwd=work)  # a relative path, as typed
    train = json.loads((folder / "config.json").read_text())["train"]
    assert train["data"] == str(tiny_corpus.resolve())
    assert train["data_bytes"] == tiny_corpus.stat().st_size and len(train["data_sha256"]) == 64

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("resume", "rel", "--steps", "10", cwd=elsewhere)
    assert result.returncode == 0, result.stderr

    moved = tmp_path / "moved.txt"
    shutil.move(tiny_corpus, moved)
    result = run_cli("resume", "rel", "--steps", "12")
    assert result.returncode != 0 and "--data NEW_PATH" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr

    changed = tmp_path / "changed.txt"
    changed.write_text(moved.read_text(encoding="utf-8") + "a new line of text here\n")
    result = run_cli("resume", "rel", "--steps", "12", "--data", str(changed))
    assert result.returncode != 0 and "is not the data run rel was trained on" in result.stderr
    assert "--data PATH" in result.stderr and len(result.stderr.strip().splitlines()) == 1

    result = run_cli("resume", "rel", "--steps", "12", "--data", str(moved))
    assert result.returncode == 0, result.stderr
    assert json.loads((folder / "config.json").read_text())["train"]["data"] == str(moved)
    assert runs.open_run("rel").dataset == str(moved)


def test_extending_on_the_command_line_records_the_phase(tiny_corpus):
    folder = train_cli(str(tiny_corpus), "ext", cwd=None)
    result = run_cli("resume", "ext", "--steps", "5")
    assert result.returncode != 0 and "not above the run's current step 8" in result.stderr
    result = run_cli("resume", "ext", "--steps", "16")
    assert result.returncode == 0, result.stderr
    config = json.loads((folder / "config.json").read_text())
    assert config["train"]["steps"] == 16 and config["train"]["phases"] == [[0, 8], [8, 16]]
    start = [e for e in read_events(folder / runs.METRICS_FILE) if e["event"] == "start"][-1]
    assert (start["phase_start"], start["phase_end"]) == (8, 16)
    shown = run_cli("show", "ext").stdout
    assert "2 phases (steps 0-8, 8-16)" in shown


def test_show_tells_the_device_used_the_checkpoint_and_the_true_size(tiny_corpus):
    folder = train_cli(str(tiny_corpus), "shown", cwd=None)
    shown = json.loads(run_cli("show", "shown", "--json").stdout)
    vocab = len((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
    assert shown["config"]["model"]["vocab_size"] == vocab
    tensors = load_file(str(folder / "model.safetensors"))
    weights = sum(t.numel() for name, t in tensors.items() if name != "teacher.embed.weight")
    assert shown["parameters"] == weights
    assert shown["device"] == "cpu" and shown["checkpoint_step"] == 8
    text = run_cli("show", "shown").stdout
    assert "device cpu (auto)" in text and "(last checkpoint 8)" in text
