"""Commands that act on a run by reference or on a user's file act only on what was meant:
delete --yes needs the exact id or name, names are one clean line and unique, diff finds the
run before a folder of the same name, and a diff's input must be UTF-8 text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO, TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.runs import folders as runs
from tofy_core.train.trainer import Trainer


def tiny_config(data, name: str = "", steps: int = 2) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    train = TrainConfig(data=str(data), steps=steps, batch=4, name=name, threads=1)
    return RunConfig(model, train).validate()


def made_run(data, run_id: str, name: str = "") -> runs.RunInfo:
    """A run folder that ended `failed` before its first checkpoint: listed, never trained."""
    info = runs.create_run(tiny_config(data, name), run_id)
    info.status, info.pid, info.error = "failed", None, "test"
    runs.write_info(info)
    return info


def trained(data, run_id: str, name: str = "") -> runs.RunInfo:
    config = tiny_config(data, name)
    assert Trainer(runs.create_run(config, run_id), config, prepare_data(config)).fit()
    return runs.open_run(run_id)


def test_delete_yes_acts_on_an_exact_id_or_name_only(tiny_corpus):
    info = made_run(tiny_corpus, "20260101-000000-abcd", name="keeper")
    done = run_cli("delete", "20260101", "--yes")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "20260101-000000-abcd" in done.stderr
    assert info.path.is_dir()  # a prefix is offered, never acted on
    done = run_cli("delete", "", "--yes")
    assert done.returncode == 2 and info.path.is_dir()

    assert run_cli("delete", "keeper", "--yes").returncode == 0  # the exact name
    assert not info.path.exists()
    other = made_run(tiny_corpus, "20260101-000001-beef")
    assert run_cli("delete", other.run_id, "--yes").returncode == 0
    assert not other.path.exists()


def test_a_second_run_of_the_same_name_is_refused_naming_the_first(tiny_corpus):
    first = made_run(tiny_corpus, "first-run", name="baseline")
    done = run_cli("train", str(tiny_corpus), *TINY_MODEL_ARGS, "--steps", "2", "--name=baseline")
    assert done.returncode == 2
    assert "first-run" in done.stderr and "baseline" in done.stderr
    assert [p.name for p in paths.runs_dir().iterdir()] == [first.run_id]


def test_names_with_control_characters_are_refused_and_never_printed_raw(tiny_corpus):
    done = run_cli("train", str(tiny_corpus), *TINY_MODEL_ARGS, "--name=a\x1b[2Jb")
    assert done.returncode == 2 and "one line" in done.stderr
    assert "\x1b" not in done.stderr and not list(paths.runs_dir().glob("*"))
    done = run_cli("train", str(tiny_corpus), *TINY_MODEL_ARGS, "--name=two\nlines")
    assert done.returncode == 2 and not list(paths.runs_dir().glob("*"))

    info = made_run(tiny_corpus, "raw")  # a name written by some other tool
    data = json.loads(info.file(runs.RUN_FILE).read_text(encoding="utf-8"))
    data["name"] = "clear\x1b[2J\x1b[Hme\nnow\x9b"
    info.file(runs.RUN_FILE).write_text(json.dumps(data), encoding="utf-8")
    for command in (("runs",), ("show", "raw")):
        shown = run_cli(*command)
        assert shown.returncode == 0, shown.stderr
        assert "clear" in shown.stdout
        for raw in ("\x1b", "\x9b", "clear\x1b"):
            assert raw not in shown.stdout + shown.stderr


def test_diff_finds_the_run_before_a_folder_of_the_same_name(tiny_corpus, tmp_path):
    trained(tiny_corpus, "sentinel-run", name="sentinel")
    (tmp_path / "sentinel").mkdir()  # an unrelated folder in the working directory
    done = run_cli("diff", "sentinel", "-q", "have you been _ lately => busy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "busy" in done.stdout


def test_diff_refuses_input_that_is_not_utf8(tiny_corpus, tmp_path):
    trained(tiny_corpus, "probe")
    bad = tmp_path / "queries.bin"
    bad.write_bytes(b"how have you _ lately => been\nthe \xff\xfe _ is nice => weather\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with bad.open("rb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "tofy_core", "diff", "probe"],
            stdin=handle,
            capture_output=True,
            env=env,
            timeout=120,
        )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "UTF-8" in err and "line 2" in err
