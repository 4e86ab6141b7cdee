"""The Train screen: the settings form on the left, the live monitor of the watched run on
the right. Start launches the training child; a worker tails its metrics.jsonl and posts
messages (the run's state: tofy_tui/run_watch.py); the plots redraw once a second from
downsampled history. A second worker describes the form's data source (data_hint.py)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widget import MountError
from textual.widgets import Button, Header, Static
from textual.worker import Worker, WorkerState

from tofy_tui.focus import keep_focus_shown, shown
from tofy_tui.screens.monitor_keys import MonitorKeys
from tofy_tui.screens.train_events import RunEventHandlers
from tofy_tui.screens.train_setup import TrainSetup
from tofy_tui.widgets.key_footer import KeyFooter

# Imported when first used, after the first frame: the plots (plotext), the form (the engine's
# config and checks), the run's state (the run store) and the workers' engine calls.
if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from tofy_tui.history import RunHistory
    from tofy_tui.run_watch import WatchedRun
    from tofy_tui.training import TrainingChild
    from tofy_tui.widgets.run_monitor import RunMonitor

REDRAW_S = 1.0
NARROW = 130  # below this many columns the monitor takes the whole width once a run starts
SHORT = 30  # below this many rows the screen is `-short`: one-row buttons (tofy_panes.tcss)
IDLE_TEXT = (
    "No run yet. Press s (or Enter on Start) to train the settings on the left, "
    "or w to watch a run started with `tofy train`."
)


class TrainScreen(RunEventHandlers, TrainSetup, MonitorKeys):
    """Set up a run, start it, and watch it (or any other running run)."""

    SUB_TITLE = "Train"
    AUTO_FOCUS = ""  # Textual's picks the first focusable widget, a hidden field included
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "Start", id="train.start"),
        # Shown in the footer only while a field takes `s` as text (one key per action).
        Binding("ctrl+r", "start", "Start", priority=True, id="train.start-any"),
        Binding("x", "stop", "Stop", id="train.stop"),
        # The footer keeps to what fits 80 columns; the rest are in the palette and the help.
        Binding("w", "watch", "Watch run", show=False, id="train.watch"),
        Binding("o", "browse", "Data file", show=False, id="train.browse"),
        Binding("f", "toggle_form", "Show/hide the form", show=False, id="train.toggle-form"),
        Binding("l", "load_settings", "Load settings", show=False, id="train.load-settings"),
        Binding("escape", "leave_field", "Leave field", show=False, id="train.leave-field"),
    ]

    def __init__(self) -> None:
        super().__init__(id="train")
        self.watched: WatchedRun | None = None
        self._monitor_mount: AwaitMount | None = None
        self._monitor_ready = False  # mounted with its children (not only registered)
        self._notes: list[str] | None = None  # log lines held until the monitor shows the run
        self._training_shown = False  # what Start's state was last set from

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
    def training_here(self) -> bool:
        """The app's own child is training, whichever run is watched: one at a time. The
        launcher owns the children and is asked, not the watched run."""
        return bool(self.app.training_children())  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train-body"):
            yield Vertical(id="form-pane")  # the form comes right after the first frame
            yield Static(IDLE_TEXT, id="monitor-idle", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_class(self.app.size.height < SHORT, "-short")  # before the form: no restyle
        self.set_interval(REDRAW_S, self._tick)
        # The form is most of the screen's cost: it is mounted right after the first frame,
        # which shows the header, the panes and the keys (queued behind the app's own
        # messages, so it waits for the frame to be out). The monitor (plots: plotext) is
        # mounted when a run is first shown (`show_monitor`): until then the pane says what
        # to do, and the form takes keys sooner.
        self.call_after_refresh(self.app.call_later, self._mount_panes)

    async def _mount_panes(self) -> None:
        from tofy_tui.form_memory import FormMemory
        from tofy_tui.widgets.config_summary import ConfigSummary
        from tofy_tui.widgets.first_input import FirstInput
        from tofy_tui.widgets.form_button import FormButton
        from tofy_tui.widgets.train_form import TrainForm

        self.app.load_form_css()  # type: ignore[attr-defined]
        with contextlib.suppress(MountError, NoMatches):  # the app quit first
            buttons = Horizontal(
                FormButton("Start", id="start", variant="primary"),
                FormButton("Stop", id="stop", variant="error", disabled=True),
                FormButton("Watch…", id="watch"),
                id="form-buttons",
            )
            self.memory = FormMemory()
            # Laid out and drawn once, focus included (removing a placeholder here cost a
            # second layout of the whole screen before the first key was read).
            with self.app.batch_update():
                await self.query_one("#form-pane").mount(
                    TrainForm(self.memory.restore(), id="form"),
                    ConfigSummary(id="summary"),
                    buttons,
                )
                self._update_start()  # the summary and Start in the same first frame
                # The first field, focused where it shows (Start: Ctrl+R from a field, s
                # elsewhere; the footer says which).
                first = self.query_one("#field-data", FirstInput)
                first.untouched = True  # the screen keys pass until the user types
                first.focus()

    @property
    def monitor(self) -> RunMonitor:
        """The mounted monitor (a run has been shown); `show_monitor` mounts it."""
        return self.query_one("#monitor")  # type: ignore[return-value]

    async def show_monitor(self) -> RunMonitor:
        """The monitor, mounted in place of the idle text on first use; callers that come
        while it mounts wait for the same mount."""
        if self._monitor_mount is None:
            from tofy_tui.widgets.run_monitor import RunMonitor

            self.app.load_panes_css()  # type: ignore[attr-defined]
            self._monitor_mount = self.query_one("#train-body").mount(
                RunMonitor(IDLE_TEXT, id="monitor")
            )
            await self._monitor_mount
            self._monitor_ready = True
            await self.query("#monitor-idle").remove()
        else:
            await self._monitor_mount
        return self.monitor

    def on_resize(self, event: events.Resize) -> None:
        """A resize to the size the screen is already laid out at (Textual sends one when
        the form is mounted) would lay out every widget again, delaying the first keys. A
        screen's `outer_size` is the size of its last layout (Textual sets it from the
        layout's root region), so comparing it needs no private name."""
        self.set_class(event.size.height < SHORT, "-short")
        if event.size == self.size and self.outer_size == event.size:
            event.prevent_default()

    # ---------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Start stays live while a run trains: pressing it says why nothing starts.
        if action == "stop":
            return True if self._stoppable else None
        return True

    @property
    def _stoppable(self) -> bool:
        return self.watched is not None and self.watched.stoppable

    def action_stop(self) -> None:
        if self.watched is None or not self.watched.stoppable:
            self.notify("No run to stop.", severity="warning")
            return
        if self.watched.child is None:  # started elsewhere: someone else may be counting on it
            from tofy_tui.screens.models_dialogs import ConfirmScreen

            run_id = self.watched.run_id
            question = (
                f"Run {run_id} was started elsewhere, not from this window. Stop it? "
                "Its trainer finishes the step, saves and ends as stopped (resume it later)."
            )
            self.app.push_screen(
                ConfirmScreen(question, yes="Stop it"),
                lambda yes: self._stop_watched() if yes and self.watched_id == run_id else None,
            )
            return
        self._stop_watched()

    def _stop_watched(self) -> None:
        if self.watched is None or not self.watched.stoppable:
            return
        if not self.watched.stop():
            self.notify("The trainer is no longer running.", severity="warning")
            return
        self.note("stop requested: the trainer finishes its step, saves, and ends")
        self._controls_changed()

    def action_watch(self) -> None:
        from tofy_tui.run_watch import pickable_runs
        from tofy_tui.screens.watch import WatchScreen

        self.app.load_panes_css()  # type: ignore[attr-defined]
        found = pickable_runs()
        if not found:
            self.notify("No run is training right now. No run to replay yet.", title="Watch")
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
        from tofy_tui.run_watch import replay_status

        own = self.launcher.child_of(run_id)  # our own run again: its Stop is ours
        if own is not None:
            self._watch(run_id, own, "Watching")
            return
        status = replay_status(run_id)  # "" while it trains: watched live
        self._watch(run_id, None, "Replaying" if status else "Watching", status=status)

    def action_toggle_form(self) -> None:
        self._show_form(not self.query_one("#form-pane").display)

    def _leave_form(self) -> None:
        """A run shown: the keys go to it (x, m, y…), not to the field last typed in: the
        focus moves to Stop when it is live, else nowhere."""
        focused = self.focused
        if focused is None or self.query_one("#form-pane") not in focused.ancestors:
            return
        stop = self.query_one("#stop", Button)
        if not stop.disabled and shown(stop):
            stop.focus()
        else:
            self.set_focus(None)

    def _show_form(self, show: bool) -> None:
        """Show or hide the form; hidden, it keeps no focus (a letter typed next would land
        in a field the user cannot see)."""
        self.query_one("#form-pane").display = show
        keep_focus_shown(self)

    @on(Button.Pressed, "#start, #stop, #watch, #browse")
    def _button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    # ---------------------------------------------------------------- the watched run

    def _watch(
        self, run_id: str, child: TrainingChild | None, how: str, data: str = "", status: str = ""
    ) -> None:
        """Show this run from now on; `data` is our run's source, remembered once it trains;
        a final `status` replays a run that is not training."""
        if not self.ready:
            self.call_after_refresh(self._watch, run_id, child, how, data, status)
            return
        from tofy_tui.run_watch import WatchedRun

        if child is None and not status:  # watched from another screen: ours or not?
            child = self.launcher.child_of(run_id)
        self.watched = watched = WatchedRun(run_id, child, data, status)
        if self.app.size.width < NARROW:
            self._show_form(False)  # f brings the form back
        self._controls_changed()
        self._leave_form()
        if self._monitor_ready:
            self._show(watched, how)
        else:  # the first run shown: the monitor is mounted first
            self._notes = []
            self.call_later(self._show_when_mounted, watched, how)

    async def _show_when_mounted(self, watched: WatchedRun, how: str) -> None:
        with contextlib.suppress(MountError, NoMatches):  # the app quit first
            await self.show_monitor()
            self._show(watched, how)

    def _show(self, watched: WatchedRun, how: str) -> None:
        """The monitor starts on `watched` (unless another run was chosen meanwhile) and the
        worker starts tailing its events."""
        if watched is not self.watched:
            return
        notes, self._notes = self._notes or [], None
        self.monitor.begin(watched.run_id, how)
        self.monitor.show_progress(watched.history, watched.status)
        for line in notes:
            self.monitor.note(line)
        self.tail_run(watched)

    def _tick(self) -> None:
        self._remember_form()
        if self.ready and self.training_here != self._training_shown:
            self._controls_changed()  # our child ended while another run was watched
        watched = self.watched
        if self._notes is not None or not self._monitor_ready:
            return  # no run shown yet
        if watched is not None and watched.active:
            self.monitor.show_progress(watched.history, watched.status)
        if watched is not None and watched.stale and self.is_current:
            self._redraw(watched)

    def on_screen_resume(self) -> None:
        keep_focus_shown(self)
        self.set_class(self.app.size.height < SHORT, "-short")  # resized on another screen
        if self._notes is None and self.watched is not None and self.watched.stale:
            self._redraw(self.watched)

    def _controls_changed(self) -> None:
        self._training_shown = self.training_here
        self.query_one("#stop", Button).disabled = not self._stoppable
        self._update_start()
        self.refresh_bindings()

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
