"""Where Tofy keeps its files: platformdirs' user dirs, or everything under ``TOFY_HOME``.
A folder that cannot be made (TOFY_HOME is a file, a read-only home) is one TofyError."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from tofy_core.errors import TofyError

APP_NAME = "tofy"


def user_path(text: str | os.PathLike[str]) -> Path:
    """A path the user typed, `~` and `~name` expanded; `~name` of a user this system does
    not have is one TofyError naming it (pathlib raises a bare RuntimeError)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise TofyError(
            f"cannot expand {str(text)!r}: there is no such user's home folder; write the full "
            "path instead"
        ) from None


def _home_override() -> Path | None:
    value = os.environ.get("TOFY_HOME")
    return user_path(value) if value else None


def data_dir() -> Path:
    """Root of user data: runs live below it."""
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))
    return _made(path)


def cache_dir() -> Path:
    """Root of rebuildable data, such as datasets converted to text."""
    home = _home_override()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))
    return _made(path)


def config_dir() -> Path:
    """Root of user settings, such as the TUI's recent data paths."""
    home = _home_override()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))
    return _made(path)


def logs_dir() -> Path:
    """The app's logs of the training processes it started, one or two per run."""
    return _made(data_dir() / "logs")


def runs_dir() -> Path:
    """The folder holding one sub-folder per run."""
    path = data_dir() / "runs"
    return _made(path)


def _made(path: Path) -> Path:
    """`path`, created if needed; a failure names the folder and what to do."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise TofyError(f"{path} exists but is not a folder: point TOFY_HOME at a folder") from None
    except OSError as exc:
        raise TofyError(
            f"cannot create {path} ({exc.strerror}): point TOFY_HOME at a writable folder"
        ) from None
    if not path.is_dir():
        raise TofyError(f"{path} is not a folder: point TOFY_HOME at a folder")
    return path
