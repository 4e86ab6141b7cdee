"""The TUI's plain logic, without a screen: form checks, the child's command line, history
series and the run tail. Nothing here starts Textual or torch."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from tofy_core import runs
from tofy_core.config import RunConfig
from tofy_core.events import EventWriter
from tofy_tui.history import MAX_POINTS, RunHistory, downsample, smooth
from tofy_tui.settings import (
    DEFAULTS,
    check_form,
    data_problem,
    describe_data,
    distinct_words,
    recent_data,
    remember_data,
    train_command,
    vocab_size,
)
from tofy_tui.training import RunTail


def form(**changes: str) -> dict[str, str]:
    return {**DEFAULTS, **changes}


# ---------------------------------------------------------------- the form


def test_defaults_are_valid_and_small():
    check = check_form(DEFAULTS)
    assert check.ok and check.config is not None
    assert check.config.model.parameter_count() < 5_000_000


def test_every_bad_field_gets_its_own_engine_message():
    check = check_form(form(steps="abc", batch="0", lr="-1", max_vocab="2", max_seq="1"))
    assert check.config is None
    assert check.errors["steps"] == "'abc' is not a whole number"
    assert check.errors["batch"] == "batch must be a positive whole number, got 0"
    assert check.errors["lr"] == "lr must be a positive number, got -1.0"
    assert check.errors["max_vocab"].startswith("max_vocab must be at least 4")
    assert check.errors["max_seq"] == "max_seq must be at least 2, got 1"
    assert set(check.errors) == {"steps", "batch", "lr", "max_vocab", "max_seq"}


def test_heads_must_divide_dim_and_the_message_sits_on_heads():
    check = check_form(form(dim="30", heads="4"))
    assert list(check.errors) == ["heads"]
    assert "dim 30 is not divisible by heads 4" in check.errors["heads"]


def test_empty_numbers_and_infinite_lr_are_refused():
    check = check_form(form(steps="", lr="inf"))
    assert check.errors["steps"] == "required: a whole number"
    assert check.errors["lr"] == "'inf' is not a finite number"


def test_data_problems(tmp_path):
    assert data_problem("") == ""  # the built-in corpus
    assert data_problem(str(tmp_path / "nope.txt")).startswith("no such file")
    assert "is a folder" in data_problem(str(tmp_path))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert "is empty" in data_problem(str(empty))
    assert data_problem("hub:not a valid id!").startswith("invalid dataset id")
    assert check_form(form(data=str(tmp_path / "nope.txt"))).errors["data"].startswith("no such")


def test_uncached_hub_id_without_network_is_an_error(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    info = describe_data("hub:someone/some-dataset")
    assert info.error
    assert "could not be downloaded" in info.message


def test_vocab_hint_counts_words_like_the_engine(tiny_corpus):
    words = distinct_words(tiny_corpus)
    assert words is not None and 50 < words < 200
    assert vocab_size(words, 32000) == words + 3
    assert vocab_size(words, 10) == 10


def test_command_line_puts_data_last_and_keeps_odd_names_whole(tmp_path):
    config = check_form(form(data="-odd.txt", name="--weird [bold]")).config
    assert config is None  # the file does not exist...
    data = tmp_path / "-odd.txt"
    data.write_text("a b c\n")
    config = check_form(form(data=str(data), name="--weird [bold]")).config
    assert isinstance(config, RunConfig)
    command = train_command(config, "rid")
    assert command[1:4] == ["-m", "tofy_core", "train"]
    assert command[-2:] == ["--", str(data)]
    assert "--name=--weird [bold]" in command
    assert command[command.index("--run-id") + 1] == "rid"


def test_recent_data_keeps_the_latest_first():
    assert recent_data() == []
    for source in ("a.txt", "hub:x", "a.txt", ""):
        remember_data(source)
    assert recent_data() == ["a.txt", "hub:x"]


# ---------------------------------------------------------------- history


def test_downsample_keeps_at_most_the_limit_and_the_last_x():
    xs = [float(i) for i in range(10_000)]
    ys = [1.0] * 10_000
    out_x, out_y = downsample(xs, ys)
    assert len(out_x) == MAX_POINTS
    assert out_x[-1] == 9_999.0
    assert set(out_y) == {1.0}


def test_smooth_skips_non_finite_values():
    values = smooth([1.0, math.nan, 3.0], span=1)
    assert values == [1.0, 1.0, 3.0]


def step_event(step: int, **extra) -> dict:
    base = {"event": "step", "step": step, "steps": 100, "loss": 5.0, "mse": 0.1, "ce": 3.0}
    return {**base, "align": 1.0, "accuracy": 0.5, "lr": 1e-3, "momentum": 0.99, **extra}


def test_history_series_label_memory_kind_and_weights():
    history = RunHistory()
    start = {"event": "start", "config": {"train": {"steps": 100, "mse_weight": 10}}}
    history.add(start)
    assert history.total_steps == 100
    history.extend([step_event(i * 10, mem_kind="rss", mem_rss=2**20 * 300) for i in range(1, 4)])
    history.add({"event": "eval", "step": 30, "top1": 0.1, "top10": 0.25})
    labels = [s.label for s in history.loss_series()]
    assert labels == ["total", "ce×1", "mse×10", "align×0.1"]
    title, memory = history.memory_series()
    assert "RSS" in title and memory[0].ys == [300.0, 300.0, 300.0]
    top10 = history.accuracy_series()[1]
    assert top10.xs == [30.0] and top10.ys == [25.0]
    cuda = RunHistory()
    cuda.add(step_event(10, mem_kind="cuda", mem_allocated=2**20, mem_reserved=2**21))
    title, memory = cuda.memory_series()
    assert "CUDA" in title and [s.label for s in memory] == ["allocated", "reserved"]


def test_history_tolerates_nan_written_as_text():
    history = RunHistory()
    history.add(step_event(10, loss="nan"))
    history.add(step_event(20, loss=4.0))
    total = history.loss_series()[0]
    assert total.xs == [20.0] and total.ys == [4.0]


# ---------------------------------------------------------------- tailing


def make_run(run_id: str, pid: int | None) -> runs.RunInfo:
    info = runs.create_run(RunConfig(), run_id)
    info.pid = pid
    runs.write_info(info)
    return info


def test_tail_reads_events_as_they_come_and_stops_at_end():
    info = make_run("tail", os.getpid())
    writer = EventWriter(info.file(runs.METRICS_FILE))
    tail = RunTail(info.path)
    assert tail.poll() == ([], None)
    writer.write("start", parameters=1)
    writer.write("step", step=1)
    events, end = tail.poll()
    assert [e["event"] for e in events] == ["start", "step"] and end is None
    writer.write("end", status="stopped", error="", step=1)
    events, end = tail.poll()
    assert [e["event"] for e in events] == ["end"]
    assert end is not None and end.status == "stopped" and end.step == 1


def test_tail_of_a_run_whose_process_vanished_says_interrupted():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = make_run("gone", dead.pid)
    EventWriter(info.file(runs.METRICS_FILE)).write("start", parameters=1)
    tail = RunTail(info.path)
    events, end = tail.poll()
    assert [e["event"] for e in events] == ["start"]
    assert end is not None and end.status == "interrupted"


@pytest.mark.parametrize("bad", ["", "x" * 101, "../escape"])
def test_launcher_refuses_bad_run_ids(bad):
    from tofy_core.errors import TofyError
    from tofy_tui.training import Launcher

    launcher = Launcher()
    with pytest.raises(TofyError):
        launcher.start([sys.executable, "-c", "pass"], bad)
    launcher.shutdown()
