"""The palette's Screenshot: an SVG of the screen saved into a folder that exists (Tofy's data
folder, else the current folder), and a notification with its full path. Textual's own default
saves into a Downloads folder that may not exist, and says nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import App

from tofy_core import paths
from tofy_core.errors import TofyError
from tofy_core.fsutil import atomic_write_text


def screenshot_dir() -> Path:
    """<data>/screenshots, made if needed; the current folder when it cannot be."""
    try:
        folder = paths.data_dir() / "screenshots"
        folder.mkdir(exist_ok=True)
        return folder
    except (OSError, TofyError):
        return Path.cwd()


def save_screenshot(app: App, filename: str | None = None, folder: str | None = None) -> str:
    """Write the SVG and notify where it went; its full path ("" when it could not be)."""
    name = filename or f"tofy-{datetime.now():%Y-%m-%d_%H-%M-%S}.svg"
    path = (Path(folder).expanduser() if folder else screenshot_dir()) / name
    for count in range(2, 100):  # two in the same second: both kept
        if not path.exists():
            break
        path = path.with_name(f"{Path(name).stem}-{count}.svg")
    try:
        atomic_write_text(path, app.export_screenshot())
    except OSError as exc:
        app.notify(
            f"could not write {path}: {exc.strerror or exc}",
            title="Screenshot",
            severity="error",
            markup=False,
        )
        return ""
    app.notify(f"saved to {path.resolve()}", title="Screenshot", markup=False)
    return str(path.resolve())
