"""Metrics out: `tofy metrics` (long and wide CSV, JSON), TensorBoard event files written
while training (`--tensorboard`, kept on resume) and by `tofy export --tensorboard`, each
checked against the run's own metrics.jsonl; TensorBoard's files read back with its reader."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from pathlib import Path

import pytest
from conftest import REPO, TINY_MODEL_ARGS, run_cli
from models_runs import copy_runs, train_session_runs

from tofy_core.runs import folders as runs
from tofy_core.runs import tensorboard

TRAIN = (*TINY_MODEL_ARGS, "--log-every", "5", "--eval-every", "10", "--threads", "1")
SKIPPED = {"event", "step", "steps", "time", "eta", "elapsed", "train_seconds", "real_tokens"}


def train(corpus: Path, name: str, steps: int, *extra: str) -> Path:
    result = run_cli("train", str(corpus), *TRAIN, "--steps", str(steps), f"--name={name}", *extra)
    assert result.returncode == 0, result.stderr
    return runs.open_run(name).path


def recorded(folder: Path) -> dict[tuple[str, int], float]:
    """What metrics.jsonl holds, read plainly: (metric, step) → value."""
    out = {}
    for line in (folder / runs.METRICS_FILE).read_text().splitlines():
        event = json.loads(line)
        if event["event"] not in ("step", "eval"):
            continue
        prefix = "eval/" if event["event"] == "eval" else ""
        for key, value in event.items():
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if key not in SKIPPED and numeric and math.isfinite(value):
                out[(prefix + key, event["step"])] = float(value)
    return out


def step_times(folder: Path) -> dict[int, float]:
    events = [json.loads(line) for line in (folder / runs.METRICS_FILE).read_text().splitlines()]
    return {e["step"]: e["time"] for e in reversed(events) if e["event"] == "step"}


def read_tensorboard(folder: Path) -> dict[tuple[str, int], float]:
    """TensorBoard's own reader, every scalar kept."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {
        (tag, scalar.step): scalar.value
        for tag in accumulator.Tags()["scalars"]
        for scalar in accumulator.Scalars(tag)
    }


def same_scalars(written: dict, expected: dict) -> None:
    """TensorBoard keeps float32: equal to the recorded values at that precision."""
    assert set(written) == set(expected)
    for key, value in expected.items():
        assert written[key] == pytest.approx(value, rel=1e-6, abs=1e-30), key


@pytest.fixture
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """alpha (30 steps) and beta (10), logged every 5 steps, evaluated every 10: trained once
    per test session (shared with the Models tests)."""
    folder = copy_runs(train_session_runs(tmp_path_factory))
    return folder / "alpha", folder / "beta"


def test_long_csv_holds_every_recorded_value_with_its_time_and_tokens(two_runs):
    alpha, beta = two_runs
    result = run_cli("metrics", "alpha", "beta")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    columns = ["run", "name", "step", "wall_time", "seconds", "tokens", "metric", "value"]
    assert list(rows[0]) == columns
    for folder in (alpha, beta):
        mine = [r for r in rows if r["run"] == folder.name]
        assert {(r["metric"], int(r["step"])): float(r["value"]) for r in mine} == recorded(folder)
        assert len(mine) == len(recorded(folder))
        times = step_times(folder)
        loss = [r for r in mine if r["metric"] == "loss"]
        assert [float(r["wall_time"]) for r in loss] == [times[int(r["step"])] for r in loss]
        tokens = [int(r["tokens"]) for r in loss]
        assert tokens[0] > 0 and tokens == sorted(tokens) and len(set(tokens)) == len(tokens)
        assert float(loss[0]["seconds"]) >= 0


def test_wide_csv_file_one_row_per_step_runs_side_by_side(two_runs, tmp_path):
    alpha, beta = two_runs
    out = tmp_path / "out.csv"
    result = run_cli("metrics", "alpha", "beta", "--wide", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stderr and result.stdout == ""
    rows = list(csv.DictReader(out.open()))
    header = list(rows[0])
    per_run = ["alpha/wall_time", "alpha/seconds", "alpha/tokens", "alpha/eval/top10"]
    assert header[:5] == ["step", *per_run]  # then alpha/loss, and the rest, then beta's
    assert "alpha/loss" in header and "beta/loss" in header and "beta/eval/top10" in header
    assert header.index("alpha/loss") < header.index("beta/wall_time")
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20, 25, 30]  # beta stops at 10
    assert rows[-1]["beta/loss"] == "" and rows[-1]["alpha/loss"] != ""
    for folder, label in ((alpha, "alpha"), (beta, "beta")):
        for (metric, step), value in recorded(folder).items():
            row = next(r for r in rows if int(r["step"]) == step)
            assert float(row[f"{label}/{metric}"]) == value


def test_one_run_wide_with_a_filter_and_json(two_runs):
    alpha, _ = two_runs
    wide = run_cli("metrics", "alpha", "--wide", "--filter", "eval/*")
    assert wide.returncode == 0, wide.stderr
    header = wide.stdout.splitlines()[0].split(",")
    assert header[:5] == ["step", "wall_time", "seconds", "tokens", "eval/top10"]
    assert all(h.startswith("eval/") for h in header[4:])
    result = run_cli("metrics", "alpha", "--json")
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)["runs"]
    assert run["run"] == alpha.name and run["name"] == "alpha"
    assert set(run["metrics"]) == {metric for metric, _ in recorded(alpha)}
    loss = run["metrics"]["loss"]
    expected = recorded(alpha)
    assert loss["value"] == [expected[("loss", step)] for step in loss["step"]]
    assert len(loss["tokens"]) == len(loss["wall_time"]) == len(loss["step"]) == 6


def test_resume_adds_tokens_and_turns_tensorboard_on_then_export_writes_it(two_runs, tmp_path):
    _, beta = two_runs
    assert not (beta / tensorboard.FOLDER).exists()
    resumed = run_cli("resume", "beta", "--steps", "20", "--tensorboard")
    assert resumed.returncode == 0, resumed.stderr
    rows = list(csv.DictReader(io.StringIO(run_cli("metrics", "beta", "--wide").stdout)))
    tokens = {int(r["step"]): int(r["tokens"]) for r in rows}
    assert sorted(tokens) == [5, 10, 15, 20]
    events = [json.loads(line) for line in (beta / runs.METRICS_FILE).read_text().splitlines()]
    counted = next(e["real_tokens"] for e in events if e["event"] == "step" and e["step"] == 15)
    assert tokens[15] == tokens[10] + counted  # the second session adds to the first's
    assert tokens[10] < tokens[15] < tokens[20]
    written = read_tensorboard(beta / tensorboard.FOLDER)
    assert {step for _, step in written} == {15, 20}  # from the resume on
    out = tmp_path / "release"
    exported = run_cli("export", "beta", str(out), "--tensorboard")
    assert exported.returncode == 0, exported.stderr
    assert f"tensorboard --logdir {out / tensorboard.FOLDER}" in exported.stdout
    same_scalars(read_tensorboard(out / tensorboard.FOLDER), recorded(beta))
    again = run_cli("export", "beta", str(out), "--tensorboard")
    assert again.returncode == 2 and "--force" in again.stderr
    forced = run_cli("export", "beta", str(out), "--tensorboard", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(tensorboard.event_files(out / tensorboard.FOLDER)) == 1  # replaced, not added
    same_scalars(read_tensorboard(out / tensorboard.FOLDER), recorded(beta))


def test_unknown_and_damaged_runs_are_one_line(two_runs, tmp_path):
    alpha, _ = two_runs
    unknown = run_cli("metrics", "alpha", "nosuchrun")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip().splitlines() == [
        "error: no run 'nosuchrun': see `tofy runs` for the ids"
    ]
    assert unknown.stdout == ""  # nothing half-written
    log = alpha / runs.METRICS_FILE
    log.write_bytes(b"\x00\xff garbage\n" * 3)
    damaged = run_cli("metrics", "alpha")
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr
    assert "holds no readable event" in damaged.stderr and len(damaged.stderr.splitlines()) == 1
    log.unlink()
    log.symlink_to(tmp_path)
    linked = run_cli("metrics", "alpha")
    assert linked.returncode == 2 and "symbolic link" in linked.stderr
    both = run_cli("metrics", "beta", "--json", "--wide")
    assert both.returncode == 2 and "--wide" in both.stderr


def test_train_with_tensorboard_writes_the_recorded_scalars(tiny_corpus):
    folder = train(tiny_corpus, "board", 20, "--tensorboard")
    assert tensorboard.event_files(folder / tensorboard.FOLDER)
    same_scalars(read_tensorboard(folder / tensorboard.FOLDER), recorded(folder))
    # the setting is the run's: a resume keeps writing, into the same curves
    resumed = run_cli("resume", "board", "--steps", "30")
    assert resumed.returncode == 0, resumed.stderr
    written = read_tensorboard(folder / tensorboard.FOLDER)
    same_scalars(written, recorded(folder))
    assert ("loss", 30) in written and ("eval/top10", 30) in written


def test_without_tensorboard_installed_the_flag_says_how(tiny_corpus, tmp_path):
    """The flag is refused before a run folder exists, in one line naming the extra."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['tensorboard'] = None\n")
    result = run_cli(
        "train",
        str(tiny_corpus),
        *TRAIN,
        "--steps",
        "5",
        "--tensorboard",
        PYTHONPATH=os.pathsep.join([str(blocker), str(REPO)]),
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: --tensorboard needs TensorBoard, which is not installed: "
        "pip install 'tofy[tensorboard]'"
    ]
    assert not runs.list_runs()


def test_the_form_says_when_tensorboard_is_missing(monkeypatch):
    from tofy_tui.form_settings import DEFAULTS, check_form

    assert check_form({**DEFAULTS, "tensorboard": "on"}).ok
    assert check_form({**DEFAULTS, "tensorboard": "on"}).config.train.tensorboard
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    tensorboard.missing.cache_clear()
    try:
        checked = check_form({**DEFAULTS, "tensorboard": "on"})
        assert "pip install 'tofy[tensorboard]'" in checked.errors["tensorboard"]
        assert check_form(DEFAULTS).ok  # off: nothing to install
    finally:
        tensorboard.missing.cache_clear()
