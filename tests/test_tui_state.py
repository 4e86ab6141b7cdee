"""The remembered state (tui.json) shared by two app processes: each writes only what it
changed, under a lock, so neither undoes the other's form fields or recent data."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO

from tofy_tui import ui_state
from tofy_tui.form_memory import FormMemory
from tofy_tui.form_settings import DEFAULTS


def test_two_apps_editing_different_fields_keep_both():
    first, second = FormMemory(), FormMemory()  # two apps, opened on the same file
    opened = {**DEFAULTS, **first.restore()}
    second.restore()
    first.note({**opened, "steps": "900"})
    assert first.flush() == ""
    second.note({**opened, "batch": "7"})  # this app never saw steps change
    assert second.flush() == ""
    form = ui_state.read().form
    assert form["steps"] == "900" and form["batch"] == "7"


def test_recent_data_from_two_apps_is_merged():
    from tofy_tui.recent_data import recent_data, remember_data

    remember_data("a.txt")
    ui_state.update(theme="textual-light")  # another part, written by the other app
    remember_data("b.txt")
    assert recent_data() == ["b.txt", "a.txt"]
    assert ui_state.read().theme == "textual-light"


WRITER = """
import sys
from tofy_tui import ui_state
tag = sys.argv[1]
for k in range(40):
    problem = ui_state.change(lambda s, k=k: s.form.__setitem__(f"{tag}{k}", "x"))
    assert problem == "", problem
"""


def test_two_processes_writing_at_once_lose_nothing(tofy_home):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(tofy_home)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, tag], env=env, stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    form = ui_state.read().form
    assert len(form) == 80, sorted(form)
