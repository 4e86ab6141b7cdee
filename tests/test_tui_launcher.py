"""The app's training child has one owner, the launcher, which every screen asks: watching
another run never makes Start live while the app's own child trains, re-watching the app's
own run keeps Stop ours, and quitting stops the child without blocking the app's loop."""

from __future__ import annotations

import sys

from form_pilot import ready, record_notes
from textual.widgets import Button
from tui_pilot import SIZE, wait_until

from tofy_tui.app import TofyApp
from tofy_tui.screens.models_dialogs import ConfirmScreen

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


async def test_watching_another_run_never_frees_start_and_our_run_stays_ours(monkeypatch):
    notes = record_notes(monkeypatch)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        child = app.launcher.start(SLEEPER, "ours")
        screen.watch_run("ours", child)
        await pilot.pause()
        screen._watch_chosen("theirs")  # w: another run picked
        await pilot.pause()
        assert screen.watched_id == "theirs"
        assert screen.query_one("#start", Button).disabled
        await pilot.press("ctrl+r")
        assert any("already training" in text for text, _ in notes), notes
        assert len(app.launcher.children) == 1
        screen._watch_chosen("ours")  # w: our own run again
        await pilot.pause()
        assert screen.child is child
        screen.query_one("#stop", Button).focus()
        await pilot.press("x")
        assert not isinstance(app.screen, ConfirmScreen)  # ours: no "started elsewhere"
        assert child.stop_sent
        await wait_until(pilot, lambda: not child.running, "the child to stop")


async def test_quitting_stops_the_child_off_the_loop_sigint_then_sigterm(monkeypatch, tmp_path):
    """A trainer that does not stop on SIGINT: the app still leaves at once; the launcher
    waits in the background, then sends SIGTERM."""
    import signal

    from tofy_tui import training

    monkeypatch.setattr(training, "STOP_GRACE_S", 5.0)
    heard = tmp_path / "heard.txt"
    stubborn = [
        sys.executable,
        "-c",
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGINT, lambda *a: open({str(heard)!r}, 'a').write('INT'))\n"
        "time.sleep(60)",
    ]
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        child = app.launcher.start(stubborn, "stubborn")
        await pilot.pause(0.5)  # its handler is installed
        app.exit()  # as a SIGTERM to the app does: its children are stopped as it leaves
    assert child.running, "the app waited for the trainer on its own loop"
    app.launcher.shutdown()  # what main() does once the app is gone: wait for the stop
    assert heard.read_text() == "INT"
    assert child.process.returncode == -signal.SIGTERM


async def test_a_started_run_takes_its_name_with_it(monkeypatch):
    from tofy_tui import training
    from tofy_tui.form_memory import FormMemory
    from tofy_tui.form_settings import DEFAULTS

    monkeypatch.setattr(training, "train_command", lambda *args: SLEEPER)
    notes = record_notes(monkeypatch)
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        screen.form.set_value("name", "experiment")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.child is not None, f"the run to start {notes}")
        await pilot.pause()
        assert screen.form.values()["name"] == ""  # Start again: no second "experiment"
        assert "the field is cleared" in "\n".join(screen.monitor.query_one("EventLog").lines)
    app.launcher.shutdown()
    memory = FormMemory()  # and a restart never brings the name back
    memory.note({**DEFAULTS, "name": "experiment"})
    memory.flush()
    assert "name" not in FormMemory().restore()
