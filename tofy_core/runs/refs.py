"""Run references: what a run id and a run name may be, how a fresh id is made, and how a
folder path given for a run is told apart from an id and held to the runs folder. Split from
folders.py, which keeps the run folders themselves; nothing here reads a run's files."""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path

from tofy_core import paths
from tofy_core.errors import RunNotFoundError, TofyError

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def new_run_id(name: str = "") -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24]
    suffix = secrets.token_hex(2)
    return f"{stamp}-{slug}-{suffix}" if slug else f"{stamp}-{suffix}"


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise TofyError(
            f"run id {run_id!r} is not valid: use letters, digits, '.', '_' and '-' (max 100)"
        )
    return run_id


def check_run_name(name: str) -> str:
    """A run's display name, stripped: one line of printable text (no escape sequences)."""
    name = name.strip()
    if not name.isprintable():
        raise TofyError("a run's name must be one line of printable text (no control characters)")
    return name


def is_run_path(ref: str) -> bool:
    """A reference that names a folder (`./x`, `~/x`, `a/b`) rather than a run id or name."""
    return os.sep in ref or ref.startswith(("~", "."))


def folder_inside_home(ref: str) -> Path:
    """The run folder a path names, which must sit directly inside the runs folder."""
    home = paths.runs_dir()
    given = paths.user_path(ref).absolute()
    parent = given.parent.resolve()
    if parent != home.resolve() or given.name in ("", ".", ".."):
        raise RunNotFoundError(
            f"{ref} is not a run folder inside {home}: give a run id (see `tofy runs`)"
        )
    return home / given.name
