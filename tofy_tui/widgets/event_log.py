"""The last events of the watched run, one plain-text line each (no markup is interpreted,
so dataset names and error text show literally)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Log

from tofy_core.data.split import describe_split
from tofy_core.format import format_count


def describe_event(event: dict[str, Any]) -> str:
    kind = event.get("event")
    if kind == "start":
        resumed = event.get("resumed_from") or 0
        return (
            f"start: {format_count(int(event.get('parameters', 0)))} parameters on "
            f"{event.get('device', '?')}, {event.get('dataset', '?')}: "
            f"{describe_split(event.get('corpus') or {})}"
            + (f", resumed from step {resumed}" if resumed else "")
        )
    if kind == "step":
        return (
            f"step {event.get('step')}/{event.get('steps')}  loss {_num(event.get('loss'))}"
            f"  (ce {_num(event.get('ce'))}, mse {_num(event.get('mse'), 4)},"
            f" align {_num(event.get('align'))})  acc {_pct(event.get('accuracy'))}"
            f"  lr {_sci(event.get('lr'))}"
        )
    if kind == "eval":
        return (
            f"eval @ {event.get('step')}: top-1 {_pct(event.get('top1'))}"
            f"  top-10 {_pct(event.get('top10'))}  mean rank {_num(event.get('mean_rank'), 1)}"
            f" of {event.get('words', '?')} words"
        )
    if kind == "checkpoint":
        return f"checkpoint @ {event.get('step')}"
    if kind == "end":
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


class EventLog(Log):
    """Appends one line per event; keeps the last few hundred."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=400, auto_scroll=True, **kwargs)

    def add_events(self, events: list[dict[str, Any]]) -> None:
        lines = []
        for event in events:
            lines.append(describe_event(event))
            if event.get("event") == "start" and (phase := phase_line(event)):
                lines.append(phase)
        self.write_lines(lines)

    def note(self, text: str) -> None:
        self.write_line(text)
