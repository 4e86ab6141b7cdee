"""What the CLI promises in its help and README: presets, threads, honest help defaults,
--version, the next command after a run, and real (non-pad) token rates."""

from __future__ import annotations

import json
import re

import pytest
from conftest import TINY_MODEL_ARGS, run_cli

from tofy_core.cli import build_parser
from tofy_core.cli.argv import config_from_args
from tofy_core.errors import ConfigError
from tofy_core.presets import PRESETS, preset_config
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.threads import default_threads

COMMANDS = ("train", "resume", "runs", "show", "delete", "diff", "datasets", "prepare")


def parsed_config(*argv: str):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_train_without_options_is_the_quick_preset():
    config = parsed_config()
    quick = preset_config("quick")
    assert config.model == quick.model
    assert config.train == quick.train
    assert (config.model.dim, config.model.layers, config.train.steps) == (64, 2, 3000)
    assert config.train.preset == "quick"


def test_a_preset_sets_the_sizes_and_explicit_options_win():
    config = parsed_config("--preset", "base", "--dim", "128", "--steps", "50")
    assert config.model.layers == PRESETS["base"].model["layers"] == 3
    assert config.model.max_vocab == 8000
    assert (config.model.dim, config.train.steps) == (128, 50)
    assert config.train.preset == "base"
    with pytest.raises(ConfigError, match="quick, base, large"):
        preset_config("huge")


def test_help_lists_every_default_once_and_the_presets():
    for command in COMMANDS:
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, command
        text = re.sub(r"\s+", " ", result.stdout)
        assert "(default: )" not in text and "default: None" not in text, command
        assert "(default: False)" not in text, command
        for option in re.split(r" (?=--?[a-z])", text):
            assert option.count("default") <= 1, option
    text = re.sub(r"\s+", " ", run_cli("train", "--help").stdout)
    for option in ("--steps", "--batch", "--layers", "--heads", "--max-vocab", "--device"):
        described = text.split(f" {option} ", 1)[1].split(" --", 1)[0]
        assert "default" in described, option
    for option in ("--seed", "--log-every", "--eval-every", "--checkpoint-every", "--threads"):
        described = text.split(f" {option} ", 1)[1].split(" --", 1)[0]
        assert "default" in described, option
    for name in PRESETS:
        assert f" {name} " in text
    assert "130" in text  # the exit status after Ctrl-C


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and re.match(r"tofy \d+\.\d+", result.stdout)


def test_default_thread_rule():
    assert default_threads(1) == 1
    assert default_threads(2) == 1
    assert default_threads(4) == 3
    assert default_threads(64) == 8


def start_event(run: runs.RunInfo) -> dict:
    return next(e for e in read_events(run.file(runs.METRICS_FILE)) if e["event"] == "start")


def test_threads_are_used_and_recorded_and_a_finished_run_says_how_to_probe(tiny_corpus):
    result = run_cli(
        "train",
        str(tiny_corpus),
        "--steps",
        "4",
        "--threads",
        "1",
        "--run-id",
        "one",
        *TINY_MODEL_ARGS,
    )
    assert result.returncode == 0, result.stderr
    assert "tofy diff one" in result.stdout
    info = runs.open_run("one")
    assert start_event(info)["threads"] == 1
    assert json.loads(info.file(runs.CONFIG_FILE).read_text())["train"]["threads"] == 1


def test_step_events_count_real_tokens_beside_padded_ones(tmp_path):
    # uneven lines: most rows of a batch are padded to the longest line
    lines = [" ".join(["word"] * (2 + (i % 7) * 5) + [f"w{i}"]) for i in range(60)]
    data = tmp_path / "uneven.txt"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(
        "train",
        str(data),
        "--steps",
        "6",
        "--log-every",
        "3",
        "--run-id",
        "uneven",
        "--max-seq",
        "40",
        "--no-pack",  # one padded row per line: the padded count is the larger
        *TINY_MODEL_ARGS,
    )
    assert result.returncode == 0, result.stderr
    events = list(read_events(runs.open_run("uneven").file(runs.METRICS_FILE)))
    steps = [e for e in events if e["event"] == "step"]
    assert steps
    for event in steps:
        assert 0 < event["real_tokens_per_s"] < 0.9 * event["tokens_per_s"]
    end = events[-1]
    assert end["event"] == "end"
    assert end["real_tokens"] == steps[-1]["real_tokens"] > 0
    assert end["real_tokens_per_s"] == pytest.approx(end["real_tokens"] / end["train_seconds"])
    shown = run_cli("show", "uneven")
    assert f"{end['real_tokens_per_s']:,.0f} real tokens/s" in shown.stdout
