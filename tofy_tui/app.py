"""TofyApp: three modes (Train, Models, Diff) switched by keys, help, themes, a command
palette, and a quit that never leaves a training child behind unless asked to.

Start-up imports no torch: the engine modules used here are the torch-free ones, and the
trainer runs in a child process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tofy_tui import ui_state
from tofy_tui.cli import parse_args
from tofy_tui.commands import ScreenKeys, TofyCommands
from tofy_tui.screens.train import TrainScreen

if TYPE_CHECKING:
    from tofy_tui.training import Launcher


FORM_CSS = Path(__file__).with_name("tofy_form.tcss")
PANES_CSS = Path(__file__).with_name("tofy_panes.tcss")


def _models_screen() -> Screen:
    """The Models and Diff screens are imported when first shown, not at start-up."""
    from tofy_tui.screens.models import ModelsScreen

    screen = ModelsScreen()
    screen.app.load_panes_css()  # type: ignore[attr-defined]
    return screen


def _diff_screen() -> Screen:
    from tofy_tui.screens.diff import DiffScreen

    screen = DiffScreen()
    screen.app.load_panes_css()  # type: ignore[attr-defined]
    screen.app.diff = screen  # type: ignore[attr-defined]  # quit asks if its queries would go
    return screen


class TofyApp(App):
    TITLE = "Tofy"
    CSS_PATH = "tofy.tcss"
    MODES: ClassVar[dict[str, Callable[[], Screen]]] = {
        "train": TrainScreen,
        "models": _models_screen,
        "diff": _diff_screen,
    }
    DEFAULT_MODE = "train"
    COMMANDS = App.COMMANDS | {TofyCommands, ScreenKeys}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('train')", "Train", id="app.train"),
        Binding("2", "switch_mode('models')", "Models", id="app.models"),
        Binding("3", "switch_mode('diff')", "Diff", id="app.diff"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit-any"),  # as ctrl+r
        Binding("ctrl+t", "toggle_dark", "Dark/light", show=False, id="app.theme"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._launcher: Launcher | None = None
        self._css_read: set[Path] = set()
        self.diff: Screen | None = None  # the Diff screen, once shown
        self._asking_quit = False

    @property
    def launcher(self) -> Launcher:
        """Made on first use: the training module (and the engine's run store) load after the
        first frame."""
        if self._launcher is None:
            from tofy_tui.training import Launcher

            self._launcher = Launcher()
        return self._launcher

    def training_children(self) -> list:
        """The app's own training children still running (none before the launcher is
        made: asking never imports the training module at start-up)."""
        return self._launcher.running() if self._launcher is not None else []

    def load_form_css(self) -> None:
        """Read the Train form's styles (tofy_form.tcss), once, as the form is mounted."""
        self._read_css(FORM_CSS)

    def load_panes_css(self) -> None:
        """Read the styles of the monitor, the other screens and the dialogs
        (tofy_panes.tcss), once, before the first widget that needs them is mounted: parsing
        them took ~3 ms of the way to a usable form."""
        self._read_css(FORM_CSS)  # first, as when the two were one file
        self._read_css(PANES_CSS)

    def _read_css(self, path: Path) -> None:
        if path not in self._css_read:
            self._css_read.add(path)
            self.stylesheet.read(path)

    def on_mount(self) -> None:
        ui_state.attach_theme(self)  # the last session's theme, and any change remembered
        if not self.is_headless:  # a terminal closing or `kill` must not orphan the child
            loop = asyncio.get_running_loop()
            for sig, handler in ((signal.SIGTERM, self.exit), (signal.SIGHUP, self._hung_up)):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, handler)

    def _hung_up(self) -> None:
        """The terminal is gone: nothing can be drawn or restored (Textual's writer would
        block on it forever), so stop the children and leave at once."""
        launcher = self._launcher
        if launcher is None:
            os._exit(0)

        def stop_then_leave() -> None:  # the wait runs off the loop
            launcher.shutdown()
            os._exit(0)

        threading.Thread(target=stop_then_leave, name="tofy-hang-up").start()

    def on_unmount(self) -> None:
        # Stops every child the user did not choose to leave, in a thread: the terminal is
        # given back at once, and main() (or atexit) waits for the children after the loop.
        if self._launcher is not None:
            self._launcher.stop_in_background()

    async def action_train(self, action: str) -> None:
        """Run a Train screen action from anywhere (the command palette)."""
        await self.switch_mode("train")
        await self.run_action(f"screen.{action}")

    def open_in_diff(self, run_id: str) -> None:
        """Show the Diff screen with `run_id` loaded (the Models screen's Enter): loading runs
        in the screen's worker, so this returns at once."""
        self.switch_mode("diff")
        self.screen_stack[0].open_model(run_id)  # type: ignore[attr-defined]

    def action_help(self) -> None:
        from tofy_tui.screens.help import HelpScreen

        self.load_panes_css()
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen.for_screen(self, self.screen))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's Screenshot: saved under the data folder, its path notified."""
        from tofy_tui.screenshot import save_screenshot

        return save_screenshot(self, filename, path)

    async def action_quit(self) -> None:
        from tofy_tui.screens.quit import QuitScreen

        running = self.training_children()
        if not running:
            self._quit_unless_queries_lost()
            return
        if isinstance(self.screen, QuitScreen):
            return
        self.load_panes_css()

        def answered(choice: str | None) -> None:
            if choice == "leave":
                left = self.launcher.detach_all()
                self.exit(message=Text(_left_message(left)))
            elif choice == "stop":
                self.notify("Stopping training: saving a checkpoint…", timeout=30)
                self._stop_then_exit()

        self.push_screen(QuitScreen([child.run_id for child in running]), answered)

    def _quit_unless_queries_lost(self) -> None:
        """Quit at once, unless the Diff screen holds queries not exported: then ask."""
        from tofy_tui.screens.models_dialogs import ConfirmScreen

        lost = getattr(self.diff, "unsaved", 0)
        if not lost:
            self.exit()
            return
        if self._asking_quit:
            return
        self._asking_quit = True
        self.load_panes_css()
        question = (
            f"Quit? The Diff screen's {lost} {'query' if lost == 1 else 'queries'} and their "
            "answers go with it (Ctrl+S on the Diff screen exports them first)."
        )

        def answered(yes: bool | None) -> None:
            self._asking_quit = False
            if yes:
                self.exit()

        self.push_screen(ConfirmScreen(question, yes="Quit"), answered)

    def action_help_quit(self) -> None:
        """Ctrl+C (with nothing selected to copy) quits the same careful way as q."""
        self.run_worker(self.action_quit(), exclusive=True, group="quit-ask")

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False)
    def _stop_then_exit(self) -> None:
        self.launcher.stop_all()
        self.call_from_thread(self.exit)


def _left_message(children) -> str:
    lines = [
        f"training continues in the background: run {c.run_id} (pid {c.pid})" for c in children
    ]
    lines.append("watch it with `tofy-tui` (w) or list runs with `tofy runs`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(options, int):
        raise SystemExit(options)
    if options.serve:
        from tofy_tui.serve import serve

        raise SystemExit(serve(options.host, options.port))
    # What the imports made (modules, classes, Textual's and Tofy's tables: ~50k objects)
    # lives as long as the app: kept out of the garbage collector's scans, the full
    # collection (~15 ms) it made while the first screen was built does not happen.
    gc.freeze()
    app = TofyApp()
    try:
        app.run()
    finally:
        if app._launcher is not None:
            app._launcher.shutdown()


if __name__ == "__main__":
    main()
