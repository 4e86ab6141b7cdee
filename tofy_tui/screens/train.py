"""The Train screen: the settings form on the left, the live monitor of the watched run on
the right. Start launches the training child; a worker tails its metrics.jsonl and posts
messages (the run's state: tofy_tui/run_watch.py); the plots redraw once a second from
downsampled history. A second worker describes the form's data source (data_hint.py)."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Button, Footer, Header, Static
from textual.worker import Worker, WorkerState

from tofy_core.errors import TofyError
from tofy_tui.data_hint import DataHint, describe_source
from tofy_tui.device_check import DeviceChecks, check_in_worker
from tofy_tui.messages import DataDescribed, DeviceChecked, RunEnded, RunEvents

# Imported when first used, after the first frame: the plots (plotext), the form (the engine's
# config and checks), the run's state (the run store) and the workers' engine calls.
if TYPE_CHECKING:
    from tofy_tui.history import RunHistory
    from tofy_tui.run_watch import WatchedRun
    from tofy_tui.training import Launcher, TrainingChild
    from tofy_tui.widgets.config_summary import ConfigSummary
    from tofy_tui.widgets.run_monitor import RunMonitor
    from tofy_tui.widgets.train_form import TrainForm

REDRAW_S = 1.0
SEVERITY = {"finished": "information", "stopped": "warning"}
NARROW = 130  # below this many columns the monitor takes the whole width once a run starts
IDLE_TEXT = (
    "No run yet. Press s (or Enter on Start) to train the settings on the left, "
    "or w to watch a run started with `tofy train`."
)


class TrainScreen(Screen):
    """Set up a run, start it, and watch it (or any other running run)."""

    SUB_TITLE = "Train"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "Start", id="train.start"),
        Binding("ctrl+r", "start", "Start", show=False, priority=True, id="train.start-any"),
        Binding("x", "stop", "Stop", id="train.stop"),
        Binding("w", "watch", "Watch run", id="train.watch"),
        Binding("o", "browse", "Data file", id="train.browse"),
        Binding("f", "toggle_form", "Form", id="train.toggle-form"),
        Binding("escape", "leave_field", "Leave field", show=False, id="train.leave-field"),
    ]

    def __init__(self) -> None:
        super().__init__(id="train")
        self.watched: WatchedRun | None = None
        self.hint = DataHint()
        self.devices = DeviceChecks()

    @property
    def status(self) -> str:
        return self.watched.status if self.watched is not None else "idle"

    @property
    def watched_id(self) -> str | None:
        return self.watched.run_id if self.watched is not None else None

    @property
    def child(self) -> TrainingChild | None:
        """Our training child while the watched run is ours and going."""
        return self.watched.child if self.watched is not None else None

    @property
    def history(self) -> RunHistory | None:
        return self.watched.history if self.watched is not None else None

    @property
    def launcher(self) -> Launcher:
        return self.app.launcher  # type: ignore[attr-defined]

    @property
    def training_here(self) -> bool:
        """Our own child is training: one at a time (watching another run does not count)."""
        return self.watched is not None and self.watched.training_here

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train-body"):
            with Vertical(id="form-pane"):
                yield Static("", id="form-loading")
            yield Static(IDLE_TEXT, id="monitor-loading", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REDRAW_S, self._tick)
        # The form and the monitor (plots: plotext) are most of the screen's cost: they are
        # mounted right after the first frame, which shows the header, the panes and the keys
        # (queued behind the app's own messages, so they wait for the frame to be out).
        self.call_after_refresh(self.app.call_later, self._mount_panes)

    async def _mount_panes(self) -> None:
        from tofy_tui.widgets.config_summary import ConfigSummary
        from tofy_tui.widgets.run_monitor import RunMonitor
        from tofy_tui.widgets.train_form import TrainForm

        self.app.load_panes_css()  # type: ignore[attr-defined]
        with contextlib.suppress(MountError, NoMatches):  # the app quit first
            buttons = Horizontal(
                Button("Start", id="start", variant="primary"),
                Button("Stop", id="stop", variant="error", disabled=True),
                Button("Watch…", id="watch"),
                id="form-buttons",
            )
            await self.query_one("#form-pane").mount(
                TrainForm(id="form"), ConfigSummary(id="summary"), buttons
            )
            await self.query_one("#form-loading").remove()
            self.query_one("#start", Button).focus()
            await self.query_one("#train-body").mount(RunMonitor(IDLE_TEXT, id="monitor"))
            await self.query_one("#monitor-loading").remove()

    @property
    def ready(self) -> bool:
        """The form and the monitor are mounted (right after the first frame)."""
        return bool(self.query("#form")) and bool(self.query("#monitor"))

    @property
    def form(self) -> TrainForm:
        return self.query_one("#form")  # type: ignore[return-value]

    @property
    def summary(self) -> ConfigSummary:
        return self.query_one("#summary")  # type: ignore[return-value]

    @property
    def monitor(self) -> RunMonitor:
        return self.query_one("#monitor")  # type: ignore[return-value]

    # ---------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return None if self.training_here else True
        if action == "stop":
            return True if self._stoppable else None
        return True

    def action_start(self) -> None:
        if not self.ready:
            return  # a key pressed before the form is there: nothing is filled in yet
        if self.training_here:
            self.notify("A run is already training: stop it first (x).", severity="warning")
            return
        # The same checks `tofy train` makes before it creates a run, made again now: a file
        # may have changed since it was typed.
        check = self.form.check_now()
        if check.config is not None and check.ok:
            self._check_device(check.config.train.device)
        problems = self.form.problems()
        if problems or check.config is None:
            name, message = next(iter(problems.items()))
            self.notify(
                f"{name}: {message}", title="Fix the form first", severity="error", markup=False
            )
            return
        if self.devices.known(check.config.train.device) is None:
            self.devices.start_when_checked = True  # the device worker starts the run
            self.notify("Checking for a CUDA GPU before starting…", title="Start")
            return
        try:
            child = self.launcher.start_training(check.config, check.processes)
        except TofyError as exc:
            self.notify(str(exc), title="Could not start", severity="error", markup=False)
            return
        self._watch(child.run_id, child, "Training", check.config.train.data)
        self.monitor.note(f"$ {child.pasteable}")
        self.monitor.note(f"log: {child.log_path}")

    @property
    def _stoppable(self) -> bool:
        return self.watched is not None and self.watched.stoppable

    def action_stop(self) -> None:
        if self.watched is None or not self.watched.stoppable:
            self.notify("No run to stop.", severity="warning")
            return
        if not self.watched.stop():
            self.notify("The trainer is no longer running.", severity="warning")
            return
        self.monitor.note("stop requested: the trainer finishes its step, saves, and ends")
        self._controls_changed()

    def action_watch(self) -> None:
        from tofy_tui.screens.watch import WatchScreen
        from tofy_tui.training import live_runs

        self.app.load_panes_css()  # type: ignore[attr-defined]
        found = live_runs()
        if not found:
            self.notify("No run is training right now.", title="Watch")
            return
        self.app.push_screen(WatchScreen(found), self._watch_chosen)

    def watch_run(self, run_id: str, child: TrainingChild | None = None) -> None:
        """Show a run picked on another screen (the Models screen's watch, or its resume's
        child)."""
        self._watch(run_id, child, "Resuming" if child is not None else "Watching")

    def _watch_chosen(self, run_id: str | None) -> None:
        if not run_id or run_id == self.watched_id:
            return
        if self.child is not None and self.child.running:
            self.notify(
                f"Run {self.child.run_id} keeps training; watch it again with w.",
                markup=False,
            )
        self._watch(run_id, None, "Watching")

    def action_browse(self) -> None:
        from tofy_tui.screens.data_picker import DataPicker

        self.app.load_panes_css()  # type: ignore[attr-defined]
        self.app.push_screen(DataPicker(), self._data_chosen)

    def _data_chosen(self, source: str | None) -> None:
        if source is not None and self.ready:
            self.form.set_value("data", source)

    def action_toggle_form(self) -> None:
        pane = self.query_one("#form-pane")
        pane.display = not pane.display

    def action_leave_field(self) -> None:
        """Out of a field, onto the first usable button: single-key shortcuts work again."""
        for button in self.query("#form-buttons Button").results(Button):
            if not button.disabled:
                button.focus()
                return

    @on(Button.Pressed, "#start, #stop, #watch, #browse")
    def _button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    # ---------------------------------------------------------------- the watched run

    def _watch(self, run_id: str, child: TrainingChild | None, how: str, data: str = "") -> None:
        """Show this run from now on; `data` is our run's source, remembered once it trains."""
        if not self.ready:
            self.call_after_refresh(self._watch, run_id, child, how, data)
            return
        from tofy_tui.run_watch import WatchedRun

        self.watched = WatchedRun(run_id, child, data)
        self.monitor.begin(run_id, how)
        self.monitor.show_progress(self.watched.history, self.status)
        if self.app.size.width < NARROW:
            self.query_one("#form-pane").display = False  # f brings the form back
        self._controls_changed()
        self.tail_run(self.watched)

    @work(thread=True, exclusive=True, group="tail", exit_on_error=False)
    def tail_run(self, watched: WatchedRun) -> None:
        watched.tail(self.post_message)

    def on_run_events(self, message: RunEvents) -> None:
        watched = self.watched
        if watched is None or message.run_id != watched.run_id:
            return
        began = watched.add_events(message.events)
        self.monitor.add_events(message.events)
        if began:
            self._controls_changed()
        self.monitor.show_progress(watched.history, watched.status)

    def on_run_ended(self, message: RunEnded) -> None:
        watched = self.watched
        if watched is None or message.run_id != watched.run_id:
            return
        end = message.end
        for line in watched.end(end):
            self.monitor.note(line)
        self.monitor.show_end(end)
        self.monitor.show_progress(watched.history, watched.status)
        self._redraw(watched)
        self.notify(
            f"Run {message.run_id} {end.status}" + (f": {end.error}" if end.error else ""),
            severity=SEVERITY.get(end.status, "error"),
            markup=False,
        )
        self._controls_changed()

    def _tick(self) -> None:
        watched = self.watched
        if watched is not None and watched.active:
            self.monitor.show_progress(watched.history, watched.status)
        if watched is not None and watched.stale and self.is_current:
            self._redraw(watched)

    def _redraw(self, watched: WatchedRun) -> None:
        self.monitor.redraw(watched.history)
        watched.drawn = watched.history.version

    def on_screen_resume(self) -> None:
        if self.watched is not None and self.watched.stale:
            self._redraw(self.watched)

    def _controls_changed(self) -> None:
        self.query_one("#stop", Button).disabled = not self._stoppable
        self._update_start()
        self.refresh_bindings()

    def _update_start(self) -> None:
        ready = self.form.check.ok and not self.form.problems()
        self.query_one("#start", Button).disabled = self.training_here or not ready

    # ---------------------------------------------------------------- the form

    def on_train_form_checked(self, message: TrainForm.Checked) -> None:
        source = message.values.get("data", "").strip()
        if self.hint.changed(source) and "data" not in message.check.errors:
            work = partial(describe_source, source, True, self.post_message)
            self.run_worker(
                work, thread=True, exclusive=True, group="describe", exit_on_error=False
            )
        self._check_device(message.values.get("device", ""))
        self.summary.show(message.check, self.hint.words)
        self._update_start()

    def on_data_described(self, message: DataDescribed) -> None:
        if not self.hint.took(message):
            return
        self.form.show_data_hint(message.message, message.error)
        self.summary.show(self.form.check, self.hint.words)
        self._update_start()

    def _check_device(self, device: str) -> None:
        """The engine's device check: answered at once when it can be, else in a worker."""
        problem = self.devices.known(device)
        if problem is None:
            work = partial(check_in_worker, device, self.post_message)
            self.run_worker(work, thread=True, exclusive=True, group="device", exit_on_error=False)
        else:
            self.form.show_late_error("device", problem)

    def on_device_checked(self, message: DeviceChecked) -> None:
        self.devices.took(message)
        if not self.ready or self.form.values().get("device") != message.device:
            self.devices.start_when_checked = False  # the device changed since Start
            return
        self.form.show_late_error("device", message.problem)
        self._update_start()
        if self.devices.start_when_checked:
            self.devices.start_when_checked = False
            self.action_start()  # says what is wrong, or starts the run

    # ---------------------------------------------------------------- errors

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title="Background task failed",
                severity="error",
                markup=False,
            )
