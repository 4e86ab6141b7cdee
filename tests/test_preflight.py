"""A start that cannot work fails before its run folder exists, with one line; a failure after
the folder exists ends the run `failed` with the error, never `running` with a dead pid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.cli import train as cli_train
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.vocab import Vocab
from tofy_core.errors import ConfigError, DataError
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.preflight import NO_CUDA, check_data_source, check_device


def run_ids() -> list[str]:
    folder = paths.runs_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_one_line_error(result, fragment: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


@pytest.fixture
def bad_sources(tmp_path) -> dict[str, str]:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "nul.txt").write_bytes(b"one line\ntwo line\nthree\x00four\n")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9 au lait\n".encode("latin-1"))
    (tmp_path / "a_folder").mkdir()
    no_parquet = tmp_path / "no_parquet"
    no_parquet.mkdir()
    (no_parquet / "readme.txt").write_text("not parquet\n", encoding="utf-8")
    return {
        "missing": str(tmp_path / "missing.txt"),
        "folder": str(tmp_path / "a_folder"),
        "empty": str(tmp_path / "empty.txt"),
        "nul": str(tmp_path / "nul.txt"),
        "latin1": str(tmp_path / "latin1.txt"),
        "no_parquet": f"hub:{no_parquet}",
        "no_folder": f"hub:{tmp_path / 'gone'}",
        "bad_id": "hub:not a valid id!",
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "does not exist"),
        ("folder", "is a folder"),
        ("empty", "is empty"),
        ("nul", "line 3 holds binary data"),
        ("latin1", "line 1 is not valid UTF-8"),
        ("no_parquet", "holds no .parquet files"),
        ("no_folder", "does not exist"),
        ("bad_id", "invalid dataset id"),
    ],
)
def test_check_data_source_names_each_problem(bad_sources, name, message):
    with pytest.raises(DataError, match=message):
        check_data_source(bad_sources[name])


def test_check_data_source_accepts_usable_sources(tiny_corpus, tmp_path):
    check_data_source("")  # the embedded corpus
    check_data_source(str(tiny_corpus))
    check_data_source("hub:someone/some_dataset@train")  # well formed; fetched later
    # a multi-byte character cut at the 64 KiB mark is not an error
    long = tmp_path / "long.txt"
    long.write_bytes(b"a" * (64 * 1024 - 1) + "é and more\n".encode())
    check_data_source(str(long))


def test_check_device_without_a_gpu_is_the_trainers_message(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA GPU is available") as caught:
        check_device("cuda")
    assert str(caught.value) == NO_CUDA and caught.value.field == "device"
    check_device("cpu")
    check_device("auto")
    from tofy_core.train.trainer import pick_device

    with pytest.raises(ConfigError, match="no CUDA GPU is available"):
        pick_device("cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_device_cuda_without_a_gpu_leaves_no_run_folder(tiny_corpus):
    result = run_cli("train", str(tiny_corpus), "--device", "cuda", *TINY_MODEL_ARGS)
    assert_one_line_error(result, "no CUDA GPU is available")
    assert run_ids() == []


def test_unusable_data_leaves_no_run_folder(bad_sources):
    for name, message in (("nul", "holds binary data"), ("no_parquet", "no .parquet files")):
        result = run_cli("train", bad_sources[name], "--steps", "4", *TINY_MODEL_ARGS)
        assert_one_line_error(result, message)
    assert run_ids() == []


def test_weights_that_do_not_load_leave_no_run_folder(tiny_corpus, tmp_path):
    weights = tmp_path / "broken.safetensors"
    weights.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    result = run_cli(
        "--latent-from-checkpoint", str(weights), str(tiny_corpus), "4", "4", "16", "32", "1", "2"
    )
    assert_one_line_error(result, "not a readable safetensors")
    assert run_ids() == []


def test_a_failure_after_the_folder_exists_ends_the_run_failed(tiny_corpus, monkeypatch):
    def disk_full(self, path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Vocab, "save", disk_full)
    config = RunConfig(
        ModelConfig(dim=16, layers=1, heads=2),
        TrainConfig(data=str(tiny_corpus), steps=4, batch=4, device="cpu"),
    ).validate()
    with pytest.raises(OSError, match="No space left"):
        cli_train.run_training(config, "doomed")
    info = runs.open_run("doomed")
    assert info.status == "failed" and info.shown_status == "failed"
    assert "No space left on device" in info.error and info.pid is None
    saved = json.loads(info.file(runs.RUN_FILE).read_text())
    assert saved["status"] == "failed" and "No space left" in saved["error"]
    end = read_events(info.file(runs.METRICS_FILE))[-1]
    assert end["event"] == "end" and end["status"] == "failed" and "No space" in end["error"]


def test_a_home_of_no_such_user_is_one_line_not_a_traceback():
    """`~name` of an unknown user made pathlib raise a bare RuntimeError (found by hypothesis
    on hub: sources); every path the user types now says what is wrong."""
    result = run_cli("train", "~nosuchuser0/chats.txt", *TINY_MODEL_ARGS, "--steps", "2")
    assert result.returncode == 2, result.stderr
    assert "no such user's home folder" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(DataError, match="no such user's home folder"):
        from tofy_core.data.hub_spec import parse_hub_spec

        parse_hub_spec("hub:~nosuchuser0/parquet")
    result = run_cli("diff", "~nosuchuser0/model.safetensors", "--query", "a _ b => c")
    assert result.returncode != 0 and "Traceback" not in result.stderr
