"""Where Tofy keeps its files: platformdirs' user dirs, or everything under ``TOFY_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tofy"


def _home_override() -> Path | None:
    value = os.environ.get("TOFY_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Root of user data: runs live below it."""
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Root of rebuildable data, such as datasets converted to text."""
    home = _home_override()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Root of user settings, such as the TUI's recent data paths."""
    home = _home_override()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    """The folder holding one sub-folder per run."""
    path = data_dir() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path
