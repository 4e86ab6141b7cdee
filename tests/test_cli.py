"""The headless CLI through real subprocesses: the commands, the seed's forms, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.cli import build_parser
from tofy_core.errors import EXIT_INTERRUPTED
from tofy_core.runs import folders as runs


def assert_clean_error(result, fragment: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert fragment in result.stderr, result.stderr


def run_ids() -> list[str]:
    return sorted(p.name for p in paths.runs_dir().iterdir())


def test_no_arguments_prints_usage_and_fails():
    result = run_cli()
    assert result.returncode != 0
    assert "usage: tofy" in result.stderr and "--latent DATA" in result.stderr


def test_every_command_has_help():
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    expected = {"train", "resume", "runs", "show", "delete", "diff", "datasets", "prepare"}
    assert expected <= set(commands), expected - set(commands)
    for command in commands:
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, command


def test_train_on_the_default_corpus_then_list_show_delete():
    result = run_cli(
        "train", "--steps", "6", *TINY_MODEL_ARGS, "--log-every", "3", "--name", "first"
    )
    assert result.returncode == 0, result.stderr
    assert "(default corpus)" in result.stdout and "finished at step 6" in result.stdout
    listing = run_cli("runs")
    assert "first" in listing.stdout and "finished" in listing.stdout
    [entry] = json.loads(run_cli("runs", "--json").stdout)
    assert entry["status"] == "finished" and entry["step"] == 6
    shown = run_cli("show", "first")
    assert "dim 16, layers 1, heads 2" in shown.stdout and "model.safetensors" in shown.stdout
    deleted = run_cli("delete", entry["id"], "--yes")
    assert deleted.returncode == 0 and run_ids() == []


def test_piped_progress_is_plain_lines(tiny_corpus):
    result = run_cli(
        "train", str(tiny_corpus), "--steps", "10", "--log-every", "5", *TINY_MODEL_ARGS
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout
    assert "step 5/10" in result.stdout and "tok/s" in result.stdout and "ETA" in result.stdout


def test_seed_latent_form_writes_files_in_the_current_folder(tiny_corpus, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("--latent", str(tiny_corpus), "20", "4", "16", "32", "1", "2", "200", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "model_latent.safetensors").is_file() and (work / "vocab_latent.txt").is_file()
    assert "--diff model_latent.safetensors vocab_latent.txt 16 32 1 2" in result.stdout
    assert len(run_ids()) == 1  # a normal run is kept too

    again = run_cli(
        "--latent-from-checkpoint",
        "model_latent.safetensors",
        str(tiny_corpus),
        "10",
        "4",
        "16",
        "32",
        "1",
        "2",
        "200",
        cwd=work,
    )
    assert again.returncode == 0, again.stderr
    assert len(run_ids()) == 2

    dashless = run_cli("latent", str(tiny_corpus), "5", "4", "16", "32", "1", "2", cwd=work)
    assert dashless.returncode == 0, dashless.stderr


def test_seed_form_bad_numbers(tiny_corpus):
    assert_clean_error(run_cli("--latent", str(tiny_corpus), "ten"), "steps must be a whole number")
    assert_clean_error(run_cli("--latent", str(tiny_corpus), "0"), "steps must be positive")
    assert_clean_error(
        run_cli("--latent", str(tiny_corpus), "5", "4", "30", "32", "1", "4"), "not divisible"
    )
    assert run_ids() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("train", "/nonexistent/data.txt"), "does not exist"),
        (("train", "--steps", "abc"), "'abc' is not a whole number"),
        (("train", "--batch", "0"), "must be a positive whole number"),
        (("train", "--dim", "30", "--heads", "4"), "dim 30 is not divisible by heads 4"),
        (("train", "--max-vocab", "3"), "max_vocab must be at least 5"),
        (("train", "--lr", "nan"), "must be a positive number"),
        (("show", "no-such-run"), "no run 'no-such-run'"),
        (("resume", "no-such-run"), "no run 'no-such-run'"),
        (("delete", "no-such-run", "--yes"), "no run 'no-such-run'"),
    ],
)
def test_bad_input_is_one_clear_line(args, message):
    assert_clean_error(run_cli(*args), message)
    assert run_ids() == []


def test_unusable_and_binary_data_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("one\n\ntwo\n", encoding="utf-8")
    assert_clean_error(run_cli("train", str(empty)), "no usable line")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"hello there friend\n\x89PNG\x00\x00\x01")
    assert_clean_error(run_cli("train", str(binary)), "line 2 holds binary data")
    assert run_ids() == []


def _trained_run(tiny_corpus, run_id: str, steps: str = "8") -> Path:
    result = run_cli(
        "train", str(tiny_corpus), "--steps", steps, *TINY_MODEL_ARGS, "--run-id", run_id
    )
    assert result.returncode == 0, result.stderr
    return paths.runs_dir() / run_id


def test_resume_with_a_changed_model_size_is_refused(tiny_corpus):
    folder = _trained_run(tiny_corpus, "sized")
    config = json.loads((folder / "config.json").read_text())
    config["model"]["dim"] = 32
    (folder / "config.json").write_text(json.dumps(config))
    before = (folder / "model.safetensors").read_bytes()
    assert_clean_error(run_cli("resume", "sized", "--steps", "12"), "cannot change on resume")
    assert (folder / "model.safetensors").read_bytes() == before


def test_resume_with_a_truncated_checkpoint_is_refused(tiny_corpus):
    folder = _trained_run(tiny_corpus, "torn")
    state = folder / "state.safetensors"
    state.write_bytes(state.read_bytes()[:200])
    assert_clean_error(run_cli("resume", "torn", "--steps", "12"), "not a readable training state")


def test_resume_rewrites_a_torn_model_file_from_the_checkpoint(tiny_corpus):
    folder = _trained_run(tiny_corpus, "export")
    model = folder / "model.safetensors"
    model.write_bytes(model.read_bytes()[:200])  # the export, not the checkpoint
    result = run_cli("resume", "export", "--steps", "12")
    assert result.returncode == 0, result.stderr
    assert "finished at step 12" in result.stdout
    assert run_cli("diff", "export", stdin="the _ is nice => weather\n").returncode == 0


def test_resume_of_a_finished_run_needs_more_steps(tiny_corpus):
    _trained_run(tiny_corpus, "done")
    assert_clean_error(run_cli("resume", "done"), "pass --steps")
    result = run_cli("resume", "done", "--steps", "12")
    assert result.returncode == 0, result.stderr
    assert "resuming at step 8" in result.stdout and "finished at step 12" in result.stdout


def test_sigint_stops_cleanly_and_resume_finishes(tiny_corpus):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tofy_core",
            "train",
            str(tiny_corpus),
            "--steps",
            "100000",
            *TINY_MODEL_ARGS,
            "--log-every",
            "5",
            "--run-id",
            "long",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    metrics = paths.runs_dir() / "long" / runs.METRICS_FILE
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and '"event":"step"' not in (
        metrics.read_text() if metrics.exists() else ""
    ):
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == EXIT_INTERRUPTED, err
    assert "stopped at step" in out
    assert "tofy resume long" in err
    info = runs.open_run("long")
    assert info.status == "stopped" and info.step > 0
    assert (info.path / "state.safetensors").is_file()
    result = run_cli("resume", "long", "--steps", str(info.step + 5))
    assert result.returncode == 0, result.stderr
    assert runs.open_run("long").status == "finished"
