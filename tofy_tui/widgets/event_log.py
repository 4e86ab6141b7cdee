"""The last events of the watched run, one line each (wrapped when long; no markup is
interpreted, so dataset names and error text show literally). Held-out evaluations stand out
and the latest stays in view on the line above the log; step lines can be hidden (`v`)."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from tofy_core.data.split import describe_split
from tofy_core.format import format_count
from tofy_core.runs.event_schema import EVENT, Kind


def describe_event(event: dict[str, Any]) -> str:
    kind = event.get(EVENT)
    if kind == Kind.START:
        resumed = event.get("resumed_from") or 0
        return (
            f"start: {format_count(int(event.get('parameters', 0)))} parameters on "
            f"{event.get('device', '?')}, {event.get('dataset', '?')}: "
            f"{describe_split(event.get('corpus') or {})}"
            + (f", resumed from step {resumed}" if resumed else "")
        )
    if kind == Kind.STEP:
        return (
            f"step {event.get('step')}/{event.get('steps')}  loss {_num(event.get('loss'))}"
            f"  (ce {_num(event.get('ce'))}, mse {_num(event.get('mse'), 4)},"
            f" align {_num(event.get('align'))})  acc {_pct(event.get('accuracy'))}"
            f"  lr {_sci(event.get('lr'))}"
        )
    if kind == Kind.EVAL:
        counts = event.get("unigram_top10")
        return (
            f"eval @ {event.get('step')}: top-1 {_pct(event.get('top1'))}"
            f"  top-10 {_pct(event.get('top10'))}"
            + (f" (word counts alone: {_pct(counts)})" if counts is not None else "")
            + f"  mean rank {_num(event.get('mean_rank'), 1)} of {event.get('words', '?')} words"
        )
    if kind == Kind.WARNING:
        return f"warning @ {event.get('step')}: {event.get('message', '')}"
    if kind == Kind.CHECKPOINT:
        return f"checkpoint @ {event.get('step')}"
    if kind == Kind.END:
        error = event.get("error") or ""
        return f"end: {event.get('status')} at step {event.get('step')}" + (
            f": {error}" if error else ""
        )
    return str(event)


def phase_line(event: dict[str, Any]) -> str:
    """A start event's schedule phase when the run has several: a resume that extended the
    run starts a new one (its own learning-rate warm-up and decay, momentum ramp); "" when
    the run has one phase, or for runs that did not record it."""
    phase, start, end = event.get("phase"), event.get("phase_start"), event.get("phase_end")
    if not (isinstance(phase, int) and isinstance(start, int) and isinstance(end, int)):
        return ""
    if phase < 2:
        return ""
    if event.get("resumed_from") == start:
        return (
            f"new schedule phase {phase}: steps {start:,}→{end:,}, with its own warm-up and decay"
        )
    return f"schedule phase {phase}: steps {start:,}→{end:,}"


def _num(value: Any, digits: int = 3) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return "?"


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "?"


def _sci(value: Any) -> str:
    try:
        return f"{float(value):.2e}"
    except (TypeError, ValueError):
        return "?"


MAX_LINES = 400
STYLES = {
    Kind.EVAL: "bold green",
    Kind.STEP: "dim",
    Kind.CHECKPOINT: "dim",
    Kind.WARNING: "bold yellow",
    "error": "bold red",
}


def eval_line(event: dict[str, Any] | None) -> Text:
    """The line above the log: the latest held-out evaluation, or that none came yet."""
    if event is None:
        return Text("held-out: no evaluation yet", style="dim")
    text = Text("last ", style="dim")
    text.append(describe_event(event), style=STYLES[Kind.EVAL])
    return text


class EventLog(Vertical):
    """The last eval line and the log; `lines` is the log's text as shown (tests read it)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: deque[tuple[str, str]] = deque(maxlen=MAX_LINES)  # (kind, text)
        self.show_steps = True
        self._width = 0  # the width the log's lines were wrapped to

    def compose(self) -> ComposeResult:
        yield Static(eval_line(None), id="last-eval")
        yield RichLog(  # min_width: RichLog's default (78) would never wrap narrower
            max_lines=MAX_LINES, wrap=True, min_width=20, markup=False, id="event-lines"
        )

    @property
    def lines(self) -> list[str]:
        return [text for kind, text in self.entries if self._shown(kind)]

    def clear(self) -> None:
        self.entries.clear()
        self.query_one("#last-eval", Static).update(eval_line(None))
        self.query_one(RichLog).clear()

    def add_events(self, events: list[dict[str, Any]]) -> None:
        added = []
        for event in events:
            kind = str(event.get(EVENT))
            if kind == Kind.END and event.get("error"):
                kind = "error"
            added.append((kind, describe_event(event)))
            if kind == Kind.START and (phase := phase_line(event)):
                added.append((Kind.START, phase))
            if kind == Kind.EVAL:
                self.query_one("#last-eval", Static).update(eval_line(event))
        self._write(added)

    def note(self, text: str) -> None:
        self._write([("note", text)])

    def toggle_steps(self) -> bool:
        """Hide or show the step lines (everything else stays); True when shown."""
        self.show_steps = not self.show_steps
        self._rewrite()
        return self.show_steps

    def on_resize(self) -> None:
        """Lines wrap to the log's width when written: a new width wraps them again."""
        width = self.query_one(RichLog).scrollable_content_region.width
        if width != self._width:
            self._rewrite()

    def _rewrite(self) -> None:
        self.query_one(RichLog).clear()
        self._width = 0
        self._write([], list(self.entries))

    def _write(self, added: list[tuple[str, str]], shown: list | None = None) -> None:
        self.entries.extend(added)
        log = self.query_one(RichLog)
        # The width given, not measured: RichLog measures against the console's width,
        # which is not the terminal's everywhere (80 columns headless).
        width = log.scrollable_content_region.width
        self._width = width
        for kind, text in added if shown is None else shown:
            if self._shown(kind):
                log.write(Text(text, style=STYLES.get(kind, "")), width=width or None)

    def _shown(self, kind: str) -> bool:
        return self.show_steps or kind != Kind.STEP
