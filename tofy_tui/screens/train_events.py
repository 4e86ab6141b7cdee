"""The Train screen's handling of the watched run's messages: the worker that tails its
events, and what each event, note and end does to the monitor. A base class of TrainScreen,
kept apart so train.py holds the screen's layout and keys, this file the run's stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from tofy_core.runs.event_schema import EVENT, Kind
from tofy_tui.messages import RunEnded, RunEvents, RunNote

if TYPE_CHECKING:
    from tofy_tui.run_watch import WatchedRun
    from tofy_tui.widgets.run_monitor import RunMonitor

SEVERITY = {"finished": "information", "stopped": "warning"}


class RunEventHandlers(Screen):
    """Tails the watched run and shows what comes; TrainScreen owns `watched`, `monitor`,
    `_notes` and `_controls_changed`."""

    if TYPE_CHECKING:
        watched: WatchedRun | None
        _notes: list[str] | None

        @property
        def monitor(self) -> RunMonitor: ...

        def _controls_changed(self) -> None: ...

    def note(self, text: str) -> None:
        """A line in the monitor's log, kept until the monitor shows the watched run."""
        if self._notes is not None:
            self._notes.append(text)
        else:
            self.monitor.note(text)

    @work(thread=True, exclusive=True, group="tail", exit_on_error=False)
    def tail_run(self, watched: WatchedRun) -> None:
        watched.tail(self.post_message)

    def on_run_events(self, message: RunEvents) -> None:
        watched = self.watched
        if watched is None or message.run_id != watched.run_id:
            return
        began = watched.add_events(message.events)
        self.monitor.add_events(message.events)
        for event in message.events:
            if event.get(EVENT) == Kind.WARNING:
                self.notify(str(event.get("message", "")), title="Training", severity="warning")
        if began:
            self._controls_changed()
        self.monitor.show_progress(watched.history, watched.status)

    def on_run_note(self, message: RunNote) -> None:
        """The data's phase before the first step (the token cache's first pass, its
        progress, or `cached`), as lines in the event log."""
        if self.watched is not None and message.run_id == self.watched.run_id:
            self.note(message.text)

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
        if end.status in ("finished", "stopped"):
            self.monitor.note(f"probe it: 3 (the Diff screen), or `tofy diff {message.run_id}`")
        self.notify(
            f"Run {message.run_id} {end.status}" + (f": {end.error}" if end.error else ""),
            severity=SEVERITY.get(end.status, "error"),
            markup=False,
        )
        self._controls_changed()

    def _redraw(self, watched: WatchedRun) -> None:
        self.monitor.redraw(watched.history)
        watched.drawn = watched.history.version
