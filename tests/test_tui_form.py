"""The Train form as a user meets it: every `tofy train` option reachable (the rarer ones under
Advanced), errors counted the same in the form and by Start, the form kept across restarts
and filled from any run, and a Screenshot that says where it went.

Every test runs with its own TOFY_HOME (see conftest)."""

from __future__ import annotations

import json
import re

import pytest
from form_pilot import ready, record_notes, shown_text
from textual.widgets import Button, Collapsible, Input, Select
from tui_pilot import SIZE, editor, fill, note, open_advanced, wait_until

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.presets import PRESETS, preset_config
from tofy_core.runs import folders as runs
from tofy_tui import ui_state
from tofy_tui.app import TofyApp
from tofy_tui.form_settings import ADVANCED, DEFAULTS, FIELD_NAMES
from tofy_tui.training import Launcher
from tofy_tui.widgets.form_field import FormField


@pytest.fixture
def notes(monkeypatch):
    return record_notes(monkeypatch)


# ---------------------------------------------------------------- the whole form


def test_every_tofy_train_option_has_a_field():
    """`tofy train --help`'s options, each one a field of the form (--help aside)."""
    from tofy_core.cli import build_parser

    parser = build_parser()
    train = next(
        action.choices["train"]
        for action in parser._actions
        if getattr(action, "choices", None) and "train" in action.choices
    )
    options = {a.dest for a in train._actions if a.dest != "help"}
    renamed = {"no_lower": "lowercase"}
    assert {renamed.get(name, name) for name in options} <= set(FIELD_NAMES)
    assert {"masks_per_seq", "negatives", "checkpoint_every", "lowercase", "compile"} <= set(
        ADVANCED
    )
    assert {"threads", "preset"} <= set(ADVANCED)


async def test_advanced_options_reach_the_childs_command_line(monkeypatch, tmp_path, notes):
    started: list[list[str]] = []

    def record(self, command, run_id, resuming=False):
        started.append(command)
        raise TofyError("not started in this test")

    monkeypatch.setattr(Launcher, "start", record)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        advanced = screen.query_one("#advanced", Collapsible)
        assert advanced.collapsed  # out of the way until asked for
        await fill(
            pilot,
            screen,
            negatives="32",
            masks_per_seq="2",
            checkpoint_every="7",
            lowercase="off",
            refresh="on",
            run_id="my-run",
        )
        screen.query_one("#start", Button).focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: started, "the command")
    command = started[0]
    text = " ".join(command)
    for shown in ("--negatives 32", "--masks-per-seq 2", "--checkpoint-every 7", "--run-id my-run"):
        assert shown in text, text
    assert "--no-lower" in command and "--refresh" in command
    from tofy_core.cli import build_parser  # the engine reads it back as set

    args = build_parser().parse_args(command[command.index("train") :])
    assert (args.negatives, args.masks_per_seq, args.no_lower) == (32, 2, True)


async def test_errors_are_counted_alike_by_the_form_and_start(notes):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await fill(pilot, screen, steps="abc", heads="3", negatives="-1")
        advanced = screen.query_one("#advanced", Collapsible)
        assert not advanced.collapsed  # an Advanced field to fix is never hidden
        assert "1 to fix" in str(advanced.title)
        marked = screen.query(".form-field.-error")
        assert len(marked) == 3
        assert str(screen.summary.render()).startswith("3 fields to fix")
        screen.query_one("#watch", Button).focus()
        await pilot.press("s")
        errors = [text for text, severity in notes if severity == "error"]
        assert errors and "3 fields to fix: Steps, Heads, Negatives (Advanced)" in errors[-1]
        assert not screen.launcher.children


async def test_advanced_settings_set_while_closed_are_in_its_fields_when_it_opens():
    """The Advanced fields are built when the section first opens: what was set before
    (remembered, filled, a preset chosen) is what they show, and they stay live after."""
    assert ui_state.update(form={"seed": "11", "masks_per_seq": "3"}) == ""
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        advanced = screen.query_one("#advanced", Collapsible)
        assert advanced.collapsed
        await fill(pilot, screen, negatives="16", preset="base")
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "272", "base's sizes")
        assert screen.form.check.config is not None
        assert screen.form.check.config.train.negatives == 16
        await open_advanced(pilot, screen)
        shown = {name: screen.query_one(f"#row-{name}", FormField).value for name in ADVANCED}
        assert (shown["seed"], shown["masks_per_seq"], shown["negatives"]) == ("11", "3", "16")
        assert shown["preset"] == "base" and note(screen, "preset") == PRESETS["base"].summary
        await editor(pilot, screen, "seed")
        await pilot.press("end", "backspace", "backspace", "x")
        await pilot.pause()
        assert screen.form.values()["seed"] == "x"
        assert "not a whole number" in note(screen, "seed")
        assert str(screen.summary.render()).startswith("1 field to fix")


# ---------------------------------------------------------------- remembered state


async def test_a_field_draws_itself_until_used_then_its_editor_takes_over():
    """Start-up builds no editor for a field nobody has touched; what it draws says the same
    as an editor would, and Tab or a click brings the real one with the value in it."""
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        heads = screen.query_one("#row-heads", FormField)
        assert not heads.built and not heads.query(Input)
        await fill(pilot, screen, heads="3")
        drawn = heads.render().plain
        assert drawn.startswith("Heads") and " 3 " in drawn.splitlines()[0]
        assert "dim 64 is not divisible by heads 3" in " ".join(drawn.split())
        screen.query_one("#row-lr", FormField).focus()  # as Tab does
        await pilot.pause()
        assert screen.focused is screen.query_one("#field-lr", Input)
        assert screen.focused.value == DEFAULTS["lr"]
        await pilot.click("#row-device", offset=(20, 0))  # a choice opens its list
        shown = lambda: any(s.expanded for s in screen.query("#field-device").results(Select))  # noqa: E731
        await wait_until(pilot, shown, "the device list open")  # once its editor is built
        device = screen.query_one("#field-device", Select)
        assert device.expanded
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: screen.form.values()["device"] == "cpu", "cpu chosen")
        closed = lambda: screen.focused is device and not device.expanded  # noqa: E731
        await wait_until(pilot, closed, "the list closed, its field focused")
        await pilot.pause()  # the closed list is drawn before the next click, as a user sees it
        await pilot.click("#field-device")  # once built, a click still opens it (once)
        try:
            await wait_until(pilot, lambda: device.expanded, "the list open again", timeout=5)
        except AssertionError:
            # A click that lands just after a list closed is sometimes not delivered (about
            # 1 run in 6 here; the cause is not found yet): a user would click again
            await pilot.click("#field-device")
            await wait_until(pilot, lambda: device.expanded, "the list open again")
        await pilot.pause()
        assert device.expanded  # and it stays open: the click toggled it once, not twice


async def test_the_form_and_theme_survive_a_restart():
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await fill(pilot, screen, preset="base")
        await wait_until(pilot, lambda: screen.form.values()["dim"] == "272", "base's sizes")
        await fill(pilot, screen, steps="123", name="mine", negatives="32", dim="48", heads="4")
        await pilot.press("ctrl+t")
        theme = app.theme
        screen.query_one("#start", Button).focus()
        await pilot.press("q")  # quit at once, a moment after typing
    assert app.return_code == 0
    again = TofyApp()
    async with again.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        values = screen.form.values()
        assert (values["steps"], values["negatives"]) == ("123", "32")
        assert values["name"] == ""  # a run's name is its own: never repeated by a restart
        assert (values["preset"], values["dim"], values["heads"]) == ("base", "48", "4")
        assert again.theme == theme


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"form": {"steps": 5}, "theme": 3}'],
)
async def test_a_damaged_settings_file_is_one_line_and_the_defaults(content, notes):
    path = paths.config_dir() / ui_state.STATE_FILE
    path.write_bytes(content)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        said = [text for text, _ in notes if str(path) in text]
        assert len(said) == 1 and "damaged" in said[0], notes
        assert screen.form.values()["steps"] == DEFAULTS["steps"]
        await fill(pilot, screen, steps="77")
        screen.query_one("#start", Button).focus()
        await pilot.press("q")
    assert json.loads(path.read_text())["form"]["steps"] == "77"  # rewritten whole


def test_remembered_state_keeps_each_part_and_drops_what_it_cannot_use():
    from tofy_tui.form_settings import restored

    assert ui_state.update(form={"steps": "9"}) == ""
    assert ui_state.update(theme="textual-light", recent_data=["a.txt"]) == ""
    state, problem = ui_state.load()
    assert problem == ""
    assert (state.form, state.theme, state.recent_data) == (
        {"steps": "9"},
        "textual-light",
        ["a.txt"],
    )
    kept = restored({"steps": "9", "device": "tpu", "nope": "1", "run_id": "x", "pack": "off"})
    assert kept == {"steps": "9", "pack": "off"}  # an unknown choice, field or one-off: out


# ---------------------------------------------------------------- load settings from run


def make_run(run_id: str, **changes) -> None:
    config = preset_config("quick")
    for name, value in changes.items():
        part = config.model if hasattr(config.model, name) else config.train
        setattr(part, name, value)
    info = runs.create_run(config.validate(), run_id)
    info.status, info.pid = "finished", None
    runs.write_info(info)


async def test_load_settings_from_a_run_fills_the_form(notes):
    make_run("older", steps=77, dim=48, negatives=32, lowercase=False, name="older")
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await fill(pilot, screen, processes="2")
        screen.query_one("#start", Button).focus()
        await pilot.press("l")
        await wait_until(pilot, lambda: app.screen is not screen, "the run list")
        assert "older" in shown_text(app.screen) or app.screen.query("#settings-runs")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.form.values()["steps"] == "77", "the settings")
        await pilot.pause()
        values = screen.form.values()
        assert (values["dim"], values["negatives"], values["lowercase"]) == ("48", "32", "off")
        assert (values["name"], values["preset"], values["processes"]) == ("older", "quick", "2")
        assert any("older" in text and "Settings loaded" in text for text, _ in notes)


async def test_a_run_with_a_damaged_config_cannot_fill_the_form(notes):
    make_run("broken")
    (paths.runs_dir() / "broken" / runs.CONFIG_FILE).write_text('{"model": {"dim": "x"}}')
    screen_holder = []
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        screen_holder.append(screen)
        screen._settings_chosen("broken")
        await pilot.pause()
        assert any("Cannot load settings" in text for text, _ in notes), notes
        assert screen.form.values()["dim"] == DEFAULTS["dim"]


# ---------------------------------------------------------------- screenshot


async def test_the_palettes_screenshot_lands_in_the_data_folder_and_says_where(notes):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p", *"screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Screenshot" in t for t, _ in notes), "the note", 10)
    said = next(text for text, _ in notes if "Screenshot" in text)
    found = re.search(r"saved to (\S+\.svg)", said)
    assert found, said
    saved = found.group(1)
    assert saved.startswith(str(paths.data_dir() / "screenshots"))
    with open(saved, encoding="utf-8") as handle:
        assert "<svg" in handle.read(2000)


async def test_empty_loss_fields_show_the_chosen_recipes_values():
    from tui_pilot import open_advanced

    from tofy_core.recipes import RECIPES

    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await open_advanced(pilot, screen)
        row = screen.query_one("#row-temperature", FormField)
        tofy = RECIPES["tofy"].train["temperature"]
        assert row.value == "" and f"{tofy:g} (tofy's)" in row.render().plain
        await fill(pilot, screen, recipe="seed")
        await pilot.pause()
        seed = RECIPES["seed"].train["temperature"]
        assert f"{seed:g} (seed's)" in row.render().plain
