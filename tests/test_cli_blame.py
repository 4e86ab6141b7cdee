"""Bad input is refused at once in one line that blames the right setting or file; damage is
never listed as `finished`; a run with no recorded start time is live only while a trainer
holds it."""

from __future__ import annotations

import json
import os

import pytest
from conftest import TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import folders as runs
from tofy_core.train.trainer import Trainer


def trained(data, run_id: str) -> runs.RunInfo:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    config = RunConfig(model, TrainConfig(data=str(data), steps=2, batch=4, threads=1))
    assert Trainer(runs.create_run(config.validate(), run_id), config, prepare_data(config)).fit()
    return runs.open_run(run_id)


def one_line_error(done) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("option", "value", "named", "not_named"),
    [
        ("--max-vocab", "4", "max_vocab", "distinct words"),
        ("--negatives", "1000000000", "negatives", "--dim"),
        ("--max-seq", "2147483648", "max_seq", None),
        ("--max-seq", str(2**70), "max_seq", None),
    ],
)
def test_an_out_of_range_setting_is_blamed_by_name(tiny_corpus, option, value, named, not_named):
    done = run_cli("train", str(tiny_corpus), *TINY_MODEL_ARGS, option, value, timeout=60)
    line = one_line_error(done)
    assert named in line.replace("-", "_")
    if not_named:
        assert not_named not in line
    assert not list(paths.runs_dir().iterdir())


def test_a_fifo_as_data_is_refused_at_once(tmp_path):
    fifo = tmp_path / "data.fifo"
    os.mkfifo(fifo)
    line = one_line_error(run_cli("train", str(fifo), *TINY_MODEL_ARGS, timeout=30))
    assert "data.fifo" in line and "not a regular file" in line


def test_a_config_with_an_absurd_size_names_the_file(tiny_corpus):
    info = trained(tiny_corpus, "huge")
    file = info.file(runs.CONFIG_FILE)
    data = json.loads(file.read_text(encoding="utf-8"))
    data["model"]["dim"] = 2**40
    file.write_text(json.dumps(data), encoding="utf-8")
    for command in (("resume", "huge", "--steps", "4"), ("show", "huge")):
        done = run_cli(*command, timeout=60)
        assert "Traceback" not in done.stderr
        assert "config.json" in done.stdout + done.stderr
        assert "choose a smaller --dim" not in done.stdout + done.stderr


def damaged_reason(run_id: str) -> str:
    listed = run_cli("runs", "--json")
    entry = next(e for e in json.loads(listed.stdout) if e["id"] == run_id)
    assert entry["status"] == "damaged", entry
    return entry["reason"]


def test_damage_is_never_listed_as_finished(tiny_corpus):
    nan = trained(tiny_corpus, "nan-temperature")
    data = json.loads(nan.file(runs.CONFIG_FILE).read_text(encoding="utf-8"))
    data["train"]["temperature"] = float("nan")
    nan.file(runs.CONFIG_FILE).write_text(json.dumps(data), encoding="utf-8")
    assert "temperature" in damaged_reason("nan-temperature")

    stateless = trained(tiny_corpus, "no-state")
    stateless.file(runs.STATE_FILE).unlink()
    assert "state.safetensors" in damaged_reason("no-state")

    twice = trained(tiny_corpus, "vocab-twice")
    words = twice.file(runs.VOCAB_FILE).read_text(encoding="utf-8").splitlines()
    words[-1] = words[-2]  # same length, one word listed twice
    twice.file(runs.VOCAB_FILE).write_text("\n".join(words) + "\n", encoding="utf-8")
    reason = damaged_reason("vocab-twice")
    assert "vocab.txt" in reason and words[-2] in reason


def test_a_live_pid_without_a_start_time_is_live_only_while_the_run_is_held(tiny_corpus):
    info = trained(tiny_corpus, "unknown-start")
    data = json.loads(info.file(runs.RUN_FILE).read_text(encoding="utf-8"))
    data.update(status="running", pid=os.getpid(), pid_started=None)  # a live, unrelated pid
    info.file(runs.RUN_FILE).write_text(json.dumps(data), encoding="utf-8")
    with runs.lock_run(info.path, info.run_id):  # a trainer holds it: live
        assert runs.open_run("unknown-start").is_live
    assert not runs.open_run("unknown-start").is_live  # nobody holds it: interrupted
    done = run_cli("resume", "unknown-start", "--steps", "4")
    assert done.returncode == 0, done.stderr
    assert runs.open_run("unknown-start").status == "finished"


def test_export_into_the_runs_folder_is_refused(tiny_corpus):
    trained(tiny_corpus, "shipped")
    before = sorted(p.name for p in paths.runs_dir().iterdir())
    for target in (paths.runs_dir(), paths.runs_dir() / "shipped", paths.runs_dir() / "new"):
        line = one_line_error(run_cli("export", "shipped", str(target)))
        assert "runs folder" in line
    assert sorted(p.name for p in paths.runs_dir().iterdir()) == before
