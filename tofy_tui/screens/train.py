"""The Train screen: the settings form on the left, the live monitor of the watched run on
the right. Start launches the training child; a worker tails its metrics.jsonl and posts
messages; the plots redraw once a second from downsampled history."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Button, Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tofy_core.errors import TofyError
from tofy_tui.messages import DataDescribed, DeviceChecked, RunEnded, RunEvents

if TYPE_CHECKING:  # imported when first used, after the first frame
    from tofy_tui.history import RunHistory
    from tofy_tui.training import Launcher, RunTail, TrainingChild
    from tofy_tui.widgets.config_summary import ConfigSummary
    from tofy_tui.widgets.run_monitor import RunMonitor
    from tofy_tui.widgets.train_form import TrainForm

POLL_S = 0.25
REDRAW_S = 1.0
EVENT_BATCH = 2000
ACTIVE = ("starting", "running", "stopping")
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
        self._history: RunHistory | None = None
        self.status = "idle"
        self.watched_id: str | None = None
        self.watched_dir: Path | None = None
        self.child: TrainingChild | None = None
        self._drawn = -1
        self._words: int | None = None
        self._described: str | None = None
        self._devices: dict[str, str] = {}  # device → the engine's complaint ("" = usable)
        self._start_when_checked = False
        self._unremembered: str | None = None  # our run's data, remembered once it trains

    @property
    def history(self) -> RunHistory:
        """The watched run's events so far (made on first use: not needed for the first frame)."""
        if self._history is None:
            from tofy_tui.history import RunHistory

            self._history = RunHistory()
        return self._history

    @property
    def launcher(self) -> Launcher:
        return self.app.launcher  # type: ignore[attr-defined]

    @property
    def active(self) -> bool:
        """The watched run is still going (ours or one started elsewhere)."""
        return self.status in ACTIVE

    @property
    def training_here(self) -> bool:
        """Our own child is training: one at a time (watching another run does not count)."""
        return self.active and self.child is not None

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
            await self.query_one("#train-body").mount(RunMonitor(id="monitor"))
            await self.query_one("#monitor-loading").remove()

    @property
    def ready(self) -> bool:
        """The form and the monitor are mounted (right after the first frame)."""
        try:
            self.query_one("#form")
            self.query_one("#monitor")
        except NoMatches:
            return False
        return True

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
            return True if self.status in ("starting", "running") else None
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
        if check.config.train.device not in self._devices:
            self._start_when_checked = True  # the device worker starts the run when it is done
            self.notify("Checking for a CUDA GPU before starting…", title="Start")
            return
        config = check.config
        from tofy_core import runs
        from tofy_tui.settings import shell_command, train_command

        run_id = runs.new_run_id(config.train.name)
        try:
            child = self.launcher.start(train_command(config, run_id), run_id)
        except TofyError as exc:
            self.notify(str(exc), title="Could not start", severity="error", markup=False)
            return
        self._watch(run_id, child.run_dir, child, "Training")
        self._unremembered = config.train.data
        self.monitor.note(f"$ {shell_command(child.command)}")
        self.monitor.note(f"log: {child.log_path}")

    def action_stop(self) -> None:
        if self.status not in ("starting", "running"):
            self.notify("No run to stop.", severity="warning")
            return
        if self.child is not None:
            sent = self.child.stop()
        else:
            from tofy_core import runs
            from tofy_tui.training import signal_run

            assert self.watched_dir is not None
            try:
                sent = signal_run(runs.read_info(self.watched_dir))
            except TofyError:
                sent = False
        if not sent:
            self.notify("The trainer is no longer running.", severity="warning")
            return
        self.status = "stopping"
        self.monitor.note("stop requested: the trainer finishes its step, saves, and ends")
        self._controls_changed()

    def action_watch(self) -> None:
        from tofy_tui.screens.watch import WatchScreen

        self.app.load_panes_css()  # type: ignore[attr-defined]
        from tofy_tui.training import live_runs

        found = live_runs()
        if not found:
            self.notify("No run is training right now.", title="Watch")
            return
        self.app.push_screen(WatchScreen(found), self._watch_chosen)

    def _watch_chosen(self, run_id: str | None) -> None:
        if not run_id or run_id == self.watched_id:
            return
        if self.child is not None and self.child.running:
            self.notify(
                f"Run {self.child.run_id} keeps training; watch it again with w.",
                markup=False,
            )
        from tofy_core import paths

        self._watch(run_id, paths.runs_dir() / run_id, None, "Watching")

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

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#stop")
    def _stop_pressed(self) -> None:
        self.action_stop()

    @on(Button.Pressed, "#watch")
    def _watch_pressed(self) -> None:
        self.action_watch()

    @on(Button.Pressed, "#browse")
    def _browse_pressed(self) -> None:
        self.action_browse()

    # ---------------------------------------------------------------- the watched run

    def _watch(self, run_id: str, run_dir: Path, child: TrainingChild | None, how: str) -> None:
        if not self.ready:
            self.call_after_refresh(self._watch, run_id, run_dir, child, how)
            return
        self._history = None  # a fresh one for this run
        self._unremembered = None
        self._drawn = -1
        self.watched_id, self.watched_dir, self.child = run_id, run_dir, child
        self.status = "starting" if child is not None else "running"
        self.monitor.begin(run_id, how)
        self.monitor.show_progress(self.history, self.status)
        if self.app.size.width < NARROW:
            self.query_one("#form-pane").display = False  # f brings the form back
        self._controls_changed()
        from tofy_tui.training import RunTail

        self.tail_run(RunTail(run_dir, child), run_id)

    @work(thread=True, exclusive=True, group="tail", exit_on_error=False)
    def tail_run(self, tail: RunTail, run_id: str) -> None:
        """Read new events every POLL_S until the run ends or the worker is cancelled."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            events, end = tail.poll()
            for first in range(0, len(events), EVENT_BATCH):
                self.post_message(RunEvents(run_id, events[first : first + EVENT_BATCH]))
            if end is not None:
                if tail.child is not None:
                    tail.child.wait(10.0)  # reap it: it exits right after `end`
                self.post_message(RunEnded(run_id, end))
                return
            time.sleep(POLL_S)

    def on_run_events(self, message: RunEvents) -> None:
        if message.run_id != self.watched_id:
            return
        self.history.extend(message.events)
        self.monitor.add_events(message.events)
        if self.status == "starting" and self.history.start is not None:
            self.status = "running"
            self._controls_changed()
        if self._unremembered is not None and self.child is not None and self.history.last_step:
            # Only data that really trained joins the recent list: a run that reached its first
            # step read and tokenized it; a run that failed before never gets here.
            from tofy_tui.settings import remember_data

            remember_data(self._unremembered)
            self._unremembered = None
        self.monitor.show_progress(self.history, self.status)

    def on_run_ended(self, message: RunEnded) -> None:
        if message.run_id != self.watched_id:
            return
        end = message.end
        self.status = end.status
        if end.error and self.history.end is None:
            self.monitor.note(f"{end.status}: {end.error}")
        if end.status == "failed" and self.child is not None and self.history.start is None:
            for line in self.child.log_tail(8):
                self.monitor.note(f"  | {line}")
        self.monitor.show_end(end)
        self.monitor.show_progress(self.history, self.status)
        self._redraw()
        self.notify(
            f"Run {message.run_id} {end.status}" + (f": {end.error}" if end.error else ""),
            severity=SEVERITY.get(end.status, "error"),
            markup=False,
        )
        self.child = None
        self._controls_changed()

    def _tick(self) -> None:
        if self.watched_id is None:
            return
        if self.active:
            self.monitor.show_progress(self.history, self.status)
        if self.history.version != self._drawn and self.is_current:
            self._redraw()

    def _redraw(self) -> None:
        self.monitor.redraw(self.history)
        self._drawn = self.history.version

    def on_screen_resume(self) -> None:
        if self.watched_id is not None and self.history.version != self._drawn:
            self._redraw()

    def _controls_changed(self) -> None:
        self.query_one("#stop", Button).disabled = self.status not in ("starting", "running")
        self._update_start()
        self.refresh_bindings()

    def _update_start(self) -> None:
        ready = self.form.check.ok and not self.form.problems()
        self.query_one("#start", Button).disabled = self.training_here or not ready

    # ---------------------------------------------------------------- the form

    def on_train_form_checked(self, message: TrainForm.Checked) -> None:
        source = message.values.get("data", "").strip()
        if source != self._described:
            self._described = source
            self._words = None
            if "data" not in message.check.errors:
                self.describe(source, True)
        self._check_device(message.values.get("device", ""))
        self.summary.show(message.check, self._words)
        self._update_start()

    def _check_device(self, device: str) -> None:
        """The engine's device check: answered at once from what is known, else in a worker
        (asking for a CUDA GPU imports torch, which must never slow the app down)."""
        if device in self._devices:
            self.form.show_late_error("device", self._devices[device])
            return
        if device != "cuda":  # the engine imports torch for cuda only
            self._devices[device] = _device_problem(device)
            self.form.show_late_error("device", self._devices[device])
            return
        self.check_device(device)

    @work(thread=True, exclusive=True, group="device", exit_on_error=False)
    def check_device(self, device: str) -> None:
        self.post_message(DeviceChecked(device, _device_problem(device)))

    def on_device_checked(self, message: DeviceChecked) -> None:
        self._devices[message.device] = message.problem
        if not self.ready or self.form.values().get("device") != message.device:
            self._start_when_checked = False  # the device changed since Start was pressed
            return
        self.form.show_late_error("device", message.problem)
        self._update_start()
        if self._start_when_checked:
            self._start_when_checked = False
            self.action_start()  # says what is wrong, or starts the run

    @work(thread=True, exclusive=True, group="describe", exit_on_error=False)
    def describe(self, source: str, lowercase: bool) -> None:
        """Say what the data source is (cached? reachable?) and count its words."""
        time.sleep(0.3)  # typing goes on: only the last value is worth the work
        worker = get_current_worker()
        if worker.is_cancelled:
            return
        from tofy_tui.settings import describe_data, distinct_words

        info = describe_data(source)
        words = distinct_words(info.text_path, lowercase) if info.text_path else None
        if not worker.is_cancelled:
            self.post_message(DataDescribed(source, info.message, info.error, words))

    def on_data_described(self, message: DataDescribed) -> None:
        if message.source != self._described:
            return
        self._words = message.words
        self.form.show_data_hint(message.message, message.error)
        self.summary.show(self.form.check, self._words)
        self._update_start()

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


def _device_problem(device: str) -> str:
    """The engine's complaint about a device ("" when it can be used)."""
    from tofy_core.preflight import check_device

    try:
        check_device(device)
    except TofyError as exc:
        return str(exc)
    return ""
