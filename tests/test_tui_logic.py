"""The TUI's plain logic, without a screen: form checks, the child's command line, history
series and the run tail. Nothing here starts Textual or torch."""

from __future__ import annotations

import math
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tofy_core.config import RunConfig
from tofy_core.presets import PRESETS, preset_config
from tofy_core.runs import folders as runs
from tofy_core.runs.events import EventWriter
from tofy_core.threads import default_threads
from tofy_tui.data_probe import data_problem, describe_data, distinct_words
from tofy_tui.form_settings import DEFAULTS, PRESET_FIELDS, check_form, field_hints, preset_values
from tofy_tui.history import MAX_POINTS, RunHistory, downsample, smooth
from tofy_tui.recent_data import recent_data, remember_data
from tofy_tui.training import RunTail, shell_command, train_command


def form(**changes: str) -> dict[str, str]:
    return {**DEFAULTS, **changes}


# ---------------------------------------------------------------- the form


def test_defaults_are_the_quick_preset_like_tofy_train_without_options():
    check = check_form(DEFAULTS)
    assert check.ok and check.config is not None
    assert check.config == preset_config("quick")  # every setting, not just the sizes
    assert check.config.train.preset == "quick" and check.config.train.threads == 0
    assert check.config.model.parameter_count() < 5_000_000


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_values_in_the_form_give_exactly_that_preset(name):
    values = form(preset=name, **preset_values(name))
    check = check_form(values)
    assert check.config == preset_config(name)
    assert field_hints(values)["preset"] == PRESETS[name].summary


def test_the_preset_hint_names_the_fields_changed_from_it():
    assert {"dim", "steps", "max_vocab", "lr"} <= set(PRESET_FIELDS)
    assert not {"data", "device", "seed", "name", "threads"} & set(PRESET_FIELDS)
    hints = field_hints(form(dim="128", steps="50"))
    assert hints["preset"].endswith("; changed: steps, dim")
    config = check_form(form(dim="128")).config
    assert config is not None and config.train.preset == "quick" and config.model.dim == 128


def test_threads_empty_means_the_engines_rule_and_a_count_reaches_the_child():
    auto = check_form(DEFAULTS).config
    assert auto is not None and auto.train.threads == 0
    assert "--threads" not in train_command(auto, "rid")
    assert field_hints(DEFAULTS)["threads"].startswith(f"auto: {default_threads()} thread")
    two = check_form(form(threads="2")).config
    assert two is not None and two.train.threads == 2
    command = train_command(two, "rid")
    assert command[command.index("--threads") + 1] == "2"
    assert command[command.index("--preset") + 1] == "quick"
    assert "threads" not in field_hints(form(threads="2"))
    assert check_form(form(threads="-1")).errors["threads"].startswith("threads must be 0")
    assert "not a whole number" in check_form(form(threads="two")).errors["threads"]


def test_every_bad_field_gets_its_own_engine_message():
    check = check_form(form(steps="abc", batch="0", lr="-1", max_vocab="2", max_seq="1"))
    assert check.config is None
    assert check.errors["steps"] == "'abc' is not a whole number"
    assert check.errors["batch"] == "batch must be a positive whole number, got 0"
    assert check.errors["lr"] == "lr must be a positive number, got -1.0"
    assert check.errors["max_vocab"].startswith("max_vocab must be at least 5")
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


def test_data_problems_are_the_engines_own_checks(tmp_path):
    from tofy_core.errors import DataError
    from tofy_core.train.preflight import check_data_source

    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"hello there\x00 friend\n")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    no_parquet = tmp_path / "no_parquet"
    no_parquet.mkdir()
    (no_parquet / "notes.txt").write_text("not parquet\n")
    cases = {
        str(tmp_path / "nope.txt"): "does not exist",
        str(tmp_path): "is a folder",
        str(binary): "holds binary data",
        str(latin): "is not valid UTF-8",
        str(empty): "is empty",
        f"hub:{no_parquet}": "holds no .parquet files",
        "hub:not a valid id!": "invalid dataset id",
    }
    for source, expected in cases.items():
        with pytest.raises(DataError) as raised:
            check_data_source(source)
        assert data_problem(source) == str(raised.value), source
        assert expected in data_problem(source), source
        assert check_form(form(data=source)).errors["data"] == str(raised.value)
    assert data_problem("") == ""  # the built-in corpus
    good = tmp_path / "good.txt"
    good.write_text("a b c\n")
    assert data_problem(str(good)) == ""


def test_uncached_hub_id_without_network_is_an_error(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    info = describe_data("hub:someone/some-dataset")
    assert info.error
    assert "could not be downloaded" in info.message


@pytest.mark.parametrize("lowercase", [True, False])
def test_vocab_hint_counts_the_words_the_engine_builds_its_vocab_from(tiny_corpus, lowercase):
    from tofy_core.data.split import split_phrases
    from tofy_core.data.text import load_corpus
    from tofy_core.data.vocab import Vocab
    from tofy_tui.messages import VocabSettings

    with tiny_corpus.open("a", encoding="utf-8") as out:  # a word only a duplicate line has
        out.write("The Zebra grazes\nThe Zebra grazes\n")
    settings = VocabSettings(lowercase=lowercase, holdout=0.2, seed=3)
    words = distinct_words(tiny_corpus, settings)
    phrases = load_corpus(str(tiny_corpus), lowercase).phrases
    train, _ = split_phrases(phrases, 0.2, 3)
    built = Vocab.build(train, 10**6).word_count()  # what a run on these settings builds
    assert words == built, (words, built)
    assert words < len({token for phrase in phrases for token in phrase})  # held out: not in


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


def test_the_shown_command_can_be_pasted_into_a_shell_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my data.txt").write_text("a b c\n")
    config = check_form(form(data="my data.txt", name="it's [mine]")).config
    assert config is not None
    command = train_command(config, "rid")
    text = shell_command(command)
    argv = shlex.split(text)
    assert Path(argv[0]).is_absolute() and os.access(argv[0], os.X_OK)
    assert argv[1:4] == ["-m", "tofy_core", "train"]
    assert "--run-id" not in argv  # that run exists now: a paste makes a new one
    assert argv[-2:] == ["--", str(tmp_path / "my data.txt")]
    assert "--name=it's [mine]" in argv
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [*argv[:4], "--help"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "--preset" in result.stdout, result.stderr
    monkeypatch.setattr("tofy_tui.training._installed", lambda: False)
    assert shell_command(command).startswith("PYTHONPATH=")


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


def test_history_shows_real_tokens_and_an_eta_only_once_known():
    history = RunHistory()
    assert history.real_tokens_per_s is None and history.eta(time.time()) is None
    now = time.time()
    history.add(step_event(10, tokens_per_s=1000.0, real_tokens_per_s=700.0, eta=None, time=now))
    assert history.real_tokens_per_s == 700.0  # not the padded 1,000
    assert history.eta(now + 5) is None  # no rate known yet: no made-up ETA
    history.add(step_event(20, tokens_per_s=1000.0, real_tokens_per_s=710.0, eta=100, time=now))
    assert history.eta(now + 30) == pytest.approx(70.0)
    assert history.values["real_tokens_per_s"] == [700.0, 710.0]
    history.add({"event": "end", "status": "stopped", "step": 21, "real_tokens_per_s": 650.0})
    assert history.real_tokens_per_s == 650.0  # the run's overall figure
    assert history.eta(now + 30) is None
    old = RunHistory()  # a run written before real counts existed
    old.add(step_event(10, tokens_per_s=900.0))
    assert old.real_tokens_per_s == 900.0


def test_an_extended_runs_new_schedule_phase_gets_a_line():
    from tofy_tui.widgets.event_log import phase_line

    start = {"event": "start", "resumed_from": 2000, "phase": 2}
    assert phase_line({**start, "phase_start": 2000, "phase_end": 4000}).startswith(
        "new schedule phase 2: steps 2,000→4,000"
    )
    assert phase_line({**start, "resumed_from": 2500, "phase_start": 2000, "phase_end": 4000})
    assert phase_line({**start, "phase": 1, "phase_start": 0, "phase_end": 2000}) == ""
    assert phase_line({"event": "start", "resumed_from": 0}) == ""  # older runs


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


def test_a_run_watched_from_elsewhere_goes_from_running_to_its_end():
    from tofy_tui.messages import RunEnd
    from tofy_tui.run_watch import WatchedRun

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    make_run("elsewhere", dead.pid)
    watched = WatchedRun("elsewhere")
    assert watched.status == "running" and watched.active and not watched.training_here
    assert not watched.add_events([{"event": "start"}, step_event(10)])  # no status change
    assert watched.history.last_step is not None and watched.stale
    assert not watched.stop() and watched.status == "running"  # its trainer is gone
    notes = watched.end(RunEnd("interrupted", "the trainer's process is gone"))
    assert notes == ["interrupted: the trainer's process is gone"]
    assert watched.status == "interrupted" and not watched.active and not watched.stoppable
    assert recent_data() == []  # only our own runs' data is remembered


@pytest.mark.parametrize("bad", ["", "x" * 101, "../escape"])
def test_launcher_refuses_bad_run_ids(bad):
    from tofy_core.errors import TofyError
    from tofy_tui.training import Launcher

    launcher = Launcher()
    with pytest.raises(TofyError):
        launcher.start([sys.executable, "-c", "pass"], bad)
    launcher.shutdown()


def test_a_resumed_runs_curve_continues_from_its_checkpoint_without_repeats():
    history = RunHistory()
    history.add({"event": "start", "resumed_from": 0})
    for step in (10, 20, 30, 40):
        history.add({"event": "step", "step": step, "steps": 100, "loss": 5.0 - step / 10})
    history.add({"event": "eval", "step": 20, "top1": 0.1, "top10": 0.2, "mean_rank": 9.0})
    history.add({"event": "eval", "step": 40, "top1": 0.2, "top10": 0.3, "mean_rank": 8.0})
    history.add({"event": "end", "status": "stopped", "step": 40})
    # the killed session's steps after the checkpoint at 20 are trained again after resume
    history.add({"event": "start", "resumed_from": 20})
    assert history.end is None
    for step in (30, 40, 50):
        history.add({"event": "step", "step": step, "steps": 100, "loss": 1.0})
    assert history.steps == [10, 20, 30, 40, 50]
    assert history.values["loss"] == [4.0, 3.0, 1.0, 1.0, 1.0]
    assert history.eval_steps == [20]
