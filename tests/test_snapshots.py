"""Snapshot tests: each screen and dialog drawn at 80×24 and 160×48 in the dark and the light
theme, compared with the SVG accepted before (tests/__snapshots__/test_snapshots/). A layout
that breaks fails here; an intended change is accepted with
`pytest tests/test_snapshots.py --snapshot-update` after looking at the report
(snapshot_report.html) a failing run writes. What is held still so the pictures repeat is
described in snapshot_views.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_views import (
    HOME,
    VIEWS,
    FixedSampler,
    choose_theme,
    install_run,
    no_typing_pause,
    steady_cursors,
    train_pinned_run,
)

from tofy_tui.app import TofyApp
from tofy_tui.widgets import system_panel

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
THEMES = {"dark": "textual-dark", "light": "textual-light"}


@pytest.fixture(scope="session")
def pinned_run(tmp_path_factory) -> Path:
    """The one tiny run every snapshot shows, trained once per session."""
    return train_pinned_run(tmp_path_factory.mktemp("snapshot-run"))


@pytest.fixture
def snapshot_home(pinned_run, tmp_path, monkeypatch) -> None:
    """This test's own folder as the working folder, TOFY_HOME=home below it holding the
    pinned run, and the figures that move between runs held still."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOFY_HOME", HOME)
    install_run(pinned_run, tmp_path)
    monkeypatch.setattr(system_panel, "Sampler", FixedSampler)
    steady_cursors(monkeypatch)
    no_typing_pause(monkeypatch)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_view(view, size, theme, snapshot_home, snap_compare):
    choose_theme(THEMES[theme])
    assert snap_compare(TofyApp(), terminal_size=SIZES[size], run_before=VIEWS[view])
