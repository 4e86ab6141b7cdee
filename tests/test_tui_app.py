"""The TUI driven by Pilot, headless: moving between screens and filling the Train form,
checked as a user types with the engine's own rules (runs: test_tui_runs.py).

Every test runs with its own TOFY_HOME (see conftest)."""

from __future__ import annotations

import re

import pytest
from form_pilot import ready, record_notes
from textual.widgets import Button, Input
from tui_pilot import SIZE, editor, fill, note, open_advanced, wait_until

from tofy_tui.app import TofyApp
from tofy_tui.screens.diff import DiffScreen
from tofy_tui.screens.help import HelpScreen
from tofy_tui.screens.models import ModelsScreen
from tofy_tui.screens.train import TrainScreen


@pytest.fixture
def notes(monkeypatch):
    """Every notification the app shows, as (text, severity)."""
    return record_notes(monkeypatch)


# ---------------------------------------------------------------- navigation and form


async def test_keys_switch_screens_and_digits_in_a_field_stay_digits():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, TrainScreen)
        assert app.screen.sub_title == "Train"
        await ready(pilot)  # the form opens in its first field: digits are text there
        await pilot.press("escape", "2")
        assert isinstance(app.screen, ModelsScreen)
        await pilot.press("3")
        assert isinstance(app.screen, DiffScreen)
        await pilot.press("1")
        train = app.screen
        assert isinstance(train, TrainScreen)
        await editor(pilot, train, "steps")
        await pilot.press("2", "5")
        assert isinstance(app.screen, TrainScreen)
        assert train.query_one("#field-steps", Input).value == "25"
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TrainScreen)
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme
        await pilot.press("q")
    assert app.return_code == 0


async def test_command_palette_offers_the_apps_actions(notes):
    from textual.command import CommandPalette

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"models screen")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "Models", 5)
        await pilot.press("ctrl+p", *"watch a running", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen), "Train", 5)
        await wait_until(
            pilot,
            lambda: any("No run is training right now." in text for text, _ in notes),
            "the notification",
            5,
        )


async def test_the_data_picker_offers_recent_sources(tiny_corpus):
    from tofy_tui.recent_data import remember_data
    from tofy_tui.screens.data_picker import DataPicker

    remember_data(str(tiny_corpus))
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("escape", "o")  # out of the first field: o opens the picker
        assert isinstance(app.screen, DataPicker)
        await pilot.press("down", "enter")  # below "built-in corpus": the recent file
        assert isinstance(app.screen, TrainScreen)
        assert screen.form.values()["data"] == str(tiny_corpus)
        await pilot.press("escape", "o", "enter")
        assert screen.form.values()["data"] == ""


async def test_the_form_says_what_is_wrong_next_to_each_field(tmp_path, notes):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        start = screen.query_one("#start", Button)
        assert not start.disabled
        await editor(pilot, screen, "steps")
        await pilot.press(*"abc")
        await fill(pilot, screen, heads="3", batch="0")
        assert note(screen, "steps") == "'abc' is not a whole number"
        assert "dim 64 is not divisible by heads 3" in note(screen, "heads")
        assert note(screen, "batch") == "batch must be a positive whole number, got 0"
        assert start.disabled
        await pilot.press("escape", "s")
        assert any(severity == "error" for _, severity in notes)
        assert not any(screen.launcher.children)

        await fill(pilot, screen, steps="20", heads="4", batch="4")
        assert start.disabled is False
        missing = tmp_path / "[bold]missing[/].txt"
        await fill(pilot, screen, data=str(missing))
        # the engine's own message, markup shown literally
        assert note(screen, "data") == f"data file {missing} does not exist: check the path"
        assert start.disabled


async def test_the_form_opens_on_the_quick_preset_and_a_preset_fills_the_sizes():
    from tofy_core.presets import PRESETS, preset_config

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.ready, "the form")
        assert screen.form.check.config == preset_config("quick")
        await open_advanced(pilot, screen)  # the preset and threads are Advanced settings
        assert note(screen, "preset") == PRESETS["quick"].summary
        assert note(screen, "threads").startswith("auto: ")  # empty: the engine's rule
        await fill(pilot, screen, name="mine", seed="7", threads="1")
        assert note(screen, "threads") == ""
        await editor(pilot, screen, "preset")
        await pilot.press("enter", "down", "enter")  # quick → base
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "272", "base's sizes")
        values = screen.form.values()
        assert values["preset"] == "base"
        assert (values["steps"], values["layers"], values["max_vocab"]) == ("10000", "3", "8000")
        assert (values["name"], values["seed"], values["threads"]) == ("mine", "7", "1")
        config = screen.form.check.config
        assert config is not None and config.train.preset == "base"
        assert config.model == preset_config("base").model
        await fill(pilot, screen, dim="256")
        assert note(screen, "preset").endswith("changed: dim")
        screen.form.set_value("preset", "quick")
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "64", "quick's sizes")
        assert screen.form.values()["max_vocab"] == "32000"


def shown_vocab(screen) -> int | None:
    """The vocab size the summary shows when it comes from the data file."""
    found = re.search(r"vocab ([\d,]+) \(from the data\)", str(screen.summary.render()))
    return int(found.group(1).replace(",", "")) if found else None


async def test_the_forms_vocab_is_the_one_tofy_train_builds(tmp_path, tiny_corpus):
    from tofy_core.data.split import prepare_data  # what `tofy train` builds its vocab with

    data = tmp_path / "twice.txt"  # every word in two phrases: the held-out split drops none
    lines = tiny_corpus.read_text().splitlines()
    data.write_text("".join(f"{line}\nindeed {line}\n" for line in lines))
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        sizes = []
        for max_vocab in ("32000", "20"):  # the whole vocabulary, then a cap below it
            await fill(pilot, screen, data=str(data), max_vocab=max_vocab)
            config = screen.form.check.config
            assert config is not None and config.model.max_vocab == int(max_vocab)
            sizes.append(len(prepare_data(config).vocab))
            await wait_until(pilot, lambda: shown_vocab(screen) == sizes[-1], "the vocab", 20)
        assert sizes[0] > 20 and sizes[1] == 20


async def test_data_the_engine_refuses_blocks_start(tmp_path, notes):
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"hello there\x00 friend\n")
    no_parquet = tmp_path / "no_parquet"
    no_parquet.mkdir()
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        start = screen.query_one("#start", Button)
        for source, message in (
            (str(binary), "holds binary data (NUL bytes)"),
            (f"hub:{no_parquet}", "holds no .parquet files"),
        ):
            notes.clear()
            await fill(pilot, screen, data=source)
            assert message in note(screen, "data")
            assert start.disabled
            await pilot.press("escape", "s")
            assert any(message in text and sev == "error" for text, sev in notes), notes
            assert not screen.launcher.children
        await fill(pilot, screen, data="")
        assert not start.disabled


async def test_cuda_without_a_gpu_blocks_start(monkeypatch, notes):
    import torch

    from tofy_core.train.preflight import NO_CUDA

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, device="cuda")
        await pilot.press("escape", "s")  # before the check is done: Start waits for it
        await wait_until(pilot, lambda: any(NO_CUDA in text for text, _ in notes), "refusal", 30)
        assert note(screen, "device") == NO_CUDA
        assert screen.query_one("#start", Button).disabled
        assert not screen.launcher.children and screen.status == "idle"
        await fill(pilot, screen, device="auto")
        assert note(screen, "device") == ""
        assert not screen.query_one("#start", Button).disabled


async def test_unreachable_hub_id_disables_start(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await fill(pilot, screen, data="hub:someone/some-dataset")
        await wait_until(pilot, lambda: "could not be downloaded" in note(screen, "data"), "hint")
        assert screen.query_one("#start", Button).disabled
