"""The Models screen driven by Pilot over real run folders made by the engine: a user finds
the best run, compares it with the runner-up, and renames, exports, deletes; damaged runs
show their reason; the list follows runs made elsewhere without a key press."""

from __future__ import annotations

import pytest
from models_runs import copy_runs, damage, train_session_runs
from safetensors.torch import load_file, save_file
from textual.widgets import Input
from tui_pilot import SIZE, wait_until

from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.run_list import COLUMNS
from tofy_tui.screens.models import ModelsScreen
from tofy_tui.screens.models_dialogs import AskScreen, ConfirmScreen
from tofy_tui.widgets.run_compare import RunCompare


@pytest.fixture
def two_runs(tmp_path_factory):
    return copy_runs(train_session_runs(tmp_path_factory))


async def open_models(pilot, app: TofyApp, count: int) -> ModelsScreen:
    await pilot.press("2")
    screen = app.screen
    assert isinstance(screen, ModelsScreen)
    await wait_until(pilot, lambda: len(screen.shown) == count, f"{count} runs listed")
    return screen


def names(screen: ModelsScreen) -> list[str]:
    return [s.name for s in screen.shown]


def notes(app: TofyApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def select(pilot, screen: ModelsScreen, name: str) -> None:
    screen.table.move_cursor(row=names(screen).index(name))
    await pilot.pause()
    assert screen.selected is not None and screen.selected.name == name


async def answer(pilot, app: TofyApp, **values: str) -> None:
    """Fill the open dialog's fields and submit it."""
    await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the dialog")
    for name, value in values.items():
        app.screen.query_one(f"#ask-{name}", Input).value = value
    await pilot.click("#ok")
    await pilot.pause()


async def test_sort_filter_and_the_cursor_survives_a_refresh(two_runs):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        assert names(screen) == ["beta", "alpha"]  # newest first
        step = [c.title for c in COLUMNS].index("step")
        while screen.sort_column != step:  # steps done, most first
            await pilot.press("s")
        assert names(screen) == ["alpha", "beta"] and screen.sort_reverse
        await pilot.press("S")
        assert names(screen) == ["beta", "alpha"]
        await select(pilot, screen, "alpha")
        (two_runs / "gamma").mkdir()  # a run appears elsewhere: the list follows by itself
        (two_runs / "gamma" / "run.json").write_text('{"name": "[b]gamma[/b]"}')
        await wait_until(pilot, lambda: len(screen.shown) == 3, "the new folder listed")
        assert screen.selected.name == "alpha"  # the cursor stayed on its run
        row = screen.table.get_row("gamma")
        assert row[1].plain == "[b]gamma[/b]"  # shown literally, markup and all
        await pilot.press("slash", "b", "e", "t")
        assert names(screen) == ["beta"]
        await pilot.press("escape")
        screen.query_one("#filter", Input).value = ""
        await pilot.pause()
        assert len(screen.shown) == 3


async def test_damaged_runs_show_their_reason(two_runs):
    damage(two_runs / "alpha", "truncated weights")
    damage(two_runs / "beta", "torn run.json")
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        assert {s.status for s in screen.shown} == {"damaged"}
        await select(pilot, screen, "alpha")
        text = str(screen.query_one("#detail-text").render())
        assert "damaged" in text and "truncated" in text
        beta = next(s for s in screen.shown if s.run_id == "beta")
        assert "run.json" in beta.reason
        await pilot.press("enter")  # no usable weights: said, not crashed
        assert "no usable weights" in notes(app)


async def test_compare_two_runs_draws_two_series(two_runs):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        await select(pilot, screen, "alpha")
        await pilot.press("space", "up", "space", "c")
        assert screen.marked == {"alpha", "beta"}
        compare = screen.query_one(RunCompare)
        await wait_until(pilot, lambda: compare.drawn.get("metric") == 2, "two loss lines")
        assert compare.drawn["top10"] == 2
        await pilot.press("g")
        screen.query_one("#mfilter", Input).value = "eval/*"
        await wait_until(pilot, lambda: screen.metric.startswith("eval/"), "an eval metric")
        assert compare.drawn["metric"] == 2
        await pilot.press("escape", "t")
        assert screen.charts.compare_x == "tokens"
        await pilot.press("enter")  # the selected run, opened in Diff
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DiffScreen", "Diff")


async def test_rename_clash_refused_then_delete_with_confirmation(two_runs):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        await select(pilot, screen, "alpha")
        await pilot.press("n")
        await answer(pilot, app, name="beta")
        assert "already called 'beta'" in notes(app)
        assert runs.open_run("alpha").name == "alpha"
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        question = app.screen.question
        assert "alpha" in question and "KiB" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.shown) == 1, "the run gone from the list")
        assert not (two_runs / "alpha").exists() and (two_runs / "beta").exists()


async def test_export_asks_before_overwriting(two_runs, tmp_path):
    out = tmp_path / "out"
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        await select(pilot, screen, "beta")
        await pilot.press("e")
        await answer(pilot, app, folder=str(out))
        model = out / "model_latent.safetensors"
        await wait_until(pilot, lambda: (out / "vocab_latent.txt").is_file(), "the export")
        model.write_bytes(b"keep me")
        await pilot.press("e")
        await answer(pilot, app, folder=str(out))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Overwrite" in app.screen.question
        await pilot.press("n")
        await pilot.pause(0.3)
        assert model.read_bytes() == b"keep me"


async def test_import_asks_for_the_heads_a_seed_file_lacks(two_runs, tmp_path):
    tensors = load_file(two_runs / "beta" / "model.safetensors")
    seed = {k: v for k, v in tensors.items() if not k.startswith("teacher.")}
    save_file(seed, tmp_path / "model_latent.safetensors")  # the seed's form: no metadata
    vocab = str(two_runs / "beta" / "vocab.txt")
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app, 2)
        await pilot.press("i")
        await answer(pilot, app, model=str(tmp_path / "model_latent.safetensors"), vocab=vocab)
        await wait_until(pilot, lambda: "heads" in notes(app), "the question about heads")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen), "the form again")
        await answer(pilot, app, heads="2", name="from the seed")
        await wait_until(pilot, lambda: len(screen.shown) == 3, "the imported run listed")
        imported = next(s for s in screen.shown if s.name == "from the seed")
        assert imported.status == "finished" and imported.heads == 2
