"""The Diff screen driven by Pilot against a tiny model trained in a temporary home: what the
gauges show is what `tofy diff --json` says, the phrase shows what the model reads, history,
export, neighbours and model switching work, and bad input is a line, never a crash."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest
from conftest import TINY_PHRASES, run_cli
from diff_model import PHRASES, train_run
from textual.widgets import Input, Static
from tui_pilot import SIZE, wait_until

from tofy_core.probe.prober import Prober
from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.screens.diff import DiffScreen
from tofy_tui.screens.export_history import ExportHistory
from tofy_tui.screens.model_picker import ModelPicker
from tofy_tui.widgets.answer_card import AnswerCard
from tofy_tui.widgets.diff_history import HistoryPanel
from tofy_tui.widgets.gauge import Gauge
from tofy_tui.widgets.masked_phrase import MaskedPhrase
from tofy_tui.widgets.neighbour_list import NeighbourList

QUERY = "erin drinks hot _ => tea, pears"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A finished tiny run (with held-out evaluations), and a copy of it still training."""
    home = tmp_path_factory.mktemp("tui_diff_home")
    corpus = home / "phrases.txt"  # words shared across phrases, so held-out ones score
    corpus.write_text("\n".join(PHRASES + TINY_PHRASES) + "\n", encoding="utf-8")
    train = {"eval_every": 20, "holdout": 0.2, "batch": 8}
    run = train_run(home, corpus, 40, "tiny", train=train, dim=16, layers=1, max_seq=12)
    live = run.path.parent / "live"
    live.mkdir()
    for name in (runs.RUN_FILE, runs.CONFIG_FILE, runs.MODEL_FILE, runs.VOCAB_FILE):
        (live / name).write_bytes(run.file(name).read_bytes())
    info = runs.read_info(live)
    info.run_id, info.status, info.created = "live", "running", "9999-01-01T00:00:00+00:00"
    info.pid = __import__("os").getpid()
    runs.write_info(info)
    return home


@pytest.fixture
def at_home(home, monkeypatch) -> Path:
    monkeypatch.setenv("TOFY_HOME", str(home))
    return home


def text_of(widget) -> str:
    return str(widget.render())


async def open_diff(pilot, app) -> DiffScreen:
    await pilot.press("3")
    screen = app.screen
    assert isinstance(screen, DiffScreen)
    await wait_until(pilot, lambda: screen.prober is not None, "the model to load")
    return screen


async def ask(pilot, screen: DiffScreen, text: str) -> None:
    field = screen.query_one("#diff-input", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_the_gauges_show_what_tofy_diff_json_says(at_home):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_diff(pilot, app)
        summary = text_of(screen.query_one("#diff-model"))
        assert "tiny" in summary and "step 40" in summary and "held-out top-10" in summary
        assert "words" in summary and "parameters" in summary
        await ask(pilot, screen, QUERY)
        cards = list(screen.query(AnswerCard))
        cli = run_cli("diff", "tiny", "--json", "-q", QUERY, TOFY_HOME=str(at_home))
        expected = json.loads(cli.stdout)
        assert [c.result.answer for c in cards] == [r["answer"] for r in expected["results"]]
        for card, result in zip(cards, expected["results"], strict=True):
            assert card.query_one(".cosine-gauge", Gauge).value == pytest.approx(result["cosine"])
            assert card.query_one(".l2-gauge", Gauge).value == pytest.approx(result["l2_unit"])
            assert f"rank {result['rank']:,} of {result['words']:,}" in text_of(
                card.query_one(".answer-rank")
            )
        listed = screen.query_one(NeighbourList).words
        assert [w for w, _ in listed] == [n["word"] for n in expected["neighbors"]]


async def test_the_phrase_shows_mask_unknown_removed_and_the_guesses(at_home):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_diff(pilot, app)
        field = screen.query_one("#diff-input", Input)
        field.focus()
        field.value = "tea zorp drinks _ => te"
        await pilot.press("a")  # the chips follow each key
        views = [(v.text, v.kind) for v in screen.query_one(MaskedPhrase).views]
        assert views == [
            ("tea", "removed"), ("zorp", "unknown"), ("drinks", "word"), ("<mask>", "mask")
        ]  # fmt: skip
        shown = screen.query_one(MaskedPhrase).render()
        assert "<unk>" in shown.plain
        assert any("strike" in str(span.style) for span in shown.spans)
        field.value = "erin drinks hot _"
        await pilot.pause()
        assert "guesses" in text_of(screen.query_one("#diff-hint"))
        await pilot.press("enter")
        await pilot.pause()
        assert not list(screen.query(AnswerCard))
        assert "guesses" in text_of(screen.query_one("#diff-neighbours-title"))
        assert len(screen.query_one(NeighbourList).words) == 5


BAD = [
    ("erin drinks hot => tea", "no mask in the phrase"),
    ("_ drinks _ => tea", "2 masks"),
    ("erin _ => tea => milk", "more than one `=>`"),
    ("erin drinks _ => teaa", "'teaa' (close: tea"),
    ("[bold]erin[/] _ => [red]", "'[red]' is 3 tokens"),
]


async def test_each_bad_query_is_a_line_under_the_input_shown_literally(at_home):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_diff(pilot, app)
        hint = screen.query_one("#diff-hint", Static)
        for query, message in BAD:
            await ask(pilot, screen, query)
            assert message in text_of(hint) and hint.has_class("-error"), query
            assert not screen.entries and app.screen is screen


async def test_history_recall_neighbour_requery_and_export(at_home, tmp_path):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_diff(pilot, app)
        await ask(pilot, screen, "erin drinks hot _ => tea")
        await ask(pilot, screen, "[b]bob[/b] likes green _ => pears")
        field = screen.query_one("#diff-input", Input)
        history = screen.query_one(HistoryPanel)
        assert "[b]bob[/b]" in str(history.get_option_at_index(1).prompt)
        await pilot.press("up")
        assert field.value == "[b]bob[/b] likes green _ => pears"
        await pilot.press("up", "up")
        assert field.value == "erin drinks hot _ => tea"
        await pilot.press("down", "down")
        assert field.value == ""
        # a neighbour chosen: the same phrase, that word as the answer
        neighbours = screen.query_one(NeighbourList)
        word = neighbours.words[0][0]
        neighbours.focus()
        neighbours.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert field.value == ""  # asked: the line is ready for the next query
        assert screen.entries[-1].text == f"[b]bob[/b] likes green _ => {word}"
        assert screen.last.results[0].answer == word and screen.last.results[0].rank == 1
        assert len(screen.entries) == 3
        # export: JSONL with the CLI's fields, and CSV
        for name in ("asked.jsonl", "asked.csv"):
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, ExportHistory)
            app.screen.query_one(Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await pilot.pause()
        lines = [json.loads(line) for line in (tmp_path / "asked.jsonl").read_text().splitlines()]
        assert set(lines[0]) == {"model", *screen.entries[0].answer.to_json()}  # the CLI's
        assert [e["query"] for e in lines][:2] == [e.text for e in screen.entries][:2]
        rows = list(csv.DictReader((tmp_path / "asked.csv").open(encoding="utf-8")))
        assert [r["answer"] for r in rows] == ["tea", "pears", word]


async def test_the_ui_answers_keys_while_a_model_loads(at_home, monkeypatch):
    release = threading.Event()
    real_load = Prober.load.__func__

    def slow_load(cls, *args, **kwargs):
        release.wait(30)  # the real load, once the test has pressed its keys
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(Prober, "load", classmethod(slow_load))
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        app.open_in_diff("tiny")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        assert "Loading tiny" in text_of(screen.query_one("#diff-model"))
        await pilot.press(*"erin drinks hot _ => tea", "enter")
        assert screen.query_one("#diff-input", Input).value == "erin drinks hot _ => tea"
        assert "still loading" in text_of(screen.query_one("#diff-hint"))
        assert screen.prober is None
        release.set()
        await wait_until(pilot, lambda: bool(screen.entries), "the waiting query to run")
        assert [c.result.answer for c in screen.query(AnswerCard)] == ["tea"]


async def test_a_failed_load_says_why_and_another_model_can_be_picked(at_home):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_diff(pilot, app)
        assert screen.prober.label == "tiny"  # the newest *finished* run, not "live"
        await ask(pilot, screen, "erin drinks hot _ => tea")
        app.open_in_diff("no-such-run")
        line = screen.query_one("#diff-model", Static)
        await wait_until(pilot, lambda: line.has_class("-error"), "the failure")
        assert "Could not load no-such-run: no run 'no-such-run'" in text_of(line)
        assert "still probing tiny" in text_of(line)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ModelPicker)
        app.screen.query_one(Input).value = "live"
        app.screen.query_one(Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.prober.label == "live", "the other model")
        assert "still training" in text_of(line)
        # the history was kept: asked again of the new model, both scores side by side
        await pilot.press("ctrl+r")
        (entry,) = screen.entries
        assert entry.model == "tiny" and entry.other_model == "live"
        assert entry.other.results[0].cosine == pytest.approx(entry.answer.results[0].cosine)
        prompt = str(screen.query_one(HistoryPanel).get_option_at_index(0).prompt)
        assert "vs tiny · live" in prompt, prompt  # its name; the id, as both runs are "tiny"


async def test_mode_keys_leave_an_empty_query_but_are_text_inside_one():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert "No trained model yet" in text_of(screen.query_one("#diff-model"))
        field = screen.query_one("#diff-input", Input)
        assert app.focused is field
        await pilot.press("a", "1")
        assert field.value == "a1" and app.screen is screen
        field.value = ""
        await pilot.press("1")
        assert app.screen is not screen
