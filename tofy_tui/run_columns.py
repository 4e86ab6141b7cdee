"""Which of the Models table's columns show at its width: name, status, step, loss and top-10
always (the name cut to fit when even they do not); then, by priority, each further column
that fits whole. Nothing scrolls sideways, so every column on screen is readable at once and
the sort keys cycle only through these. An id column joins when two runs share a name."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from tofy_core.runs.summary import RunSummary
from tofy_tui.run_list import COLUMNS, MARK, Column, text_cell

PAD = 2  # DataTable's cell padding, one cell each side
MUST = 5  # name, status, step, loss, top-10
MIN_NAME = 6


def _id_cell(summary: RunSummary) -> Text:
    return text_cell(summary.run_id)


ID_COLUMN = Column("id", _id_cell, lambda s: s.run_id)


@dataclass(frozen=True)
class Layout:
    """The columns shown, by priority, and the name's width when it must be cut."""

    columns: tuple[Column, ...]
    name_width: int | None = None


def short_ids(summaries: list[RunSummary], names: set[str]) -> dict[str, str]:
    """For runs whose name another run has: the shortest tail of each id (6 cells or more)
    that no other such run's id ends with, so the id column stays narrow."""
    ids = [s.run_id for s in summaries if s.name in names]
    longest = max((len(i) for i in ids), default=0)
    for size in range(6, longest + 1):
        tails = [i[-size:] for i in ids]
        if len(set(tails)) == len(tails):
            return {i: i if len(i) <= size else "…" + i[-size:] for i in ids}
    return {i: i for i in ids}


def cells(summary: RunSummary, marked: bool, layout: Layout, ids: dict[str, str]) -> list[Text]:
    """A run's cells for the shown columns, the mark first."""
    out = [text_cell(MARK if marked else " ", "bold magenta")]
    for column in layout.columns:
        if column is ID_COLUMN:
            out.append(text_cell(ids.get(summary.run_id, "")))
        else:
            out.append(column.cell(summary))
    return out


def natural_width(column: Column, summaries: list[RunSummary], ids: dict[str, str]) -> int:
    """The cells the column takes uncut: its widest cell or title, padding included."""
    if column is ID_COLUMN:
        widest = max((len(v) for v in ids.values()), default=0)
    else:
        widest = max((column.cell(s).cell_len for s in summaries), default=0)
    return max(widest, len(column.title)) + PAD


def fit(summaries: list[RunSummary], width: int, ids: dict[str, str]) -> Layout:
    """The columns for a table `width` cells wide (0: not laid out yet, so all of them)."""
    candidates = [COLUMNS[0], *([ID_COLUMN] if ids else []), *COLUMNS[1:]]
    if width <= 0:
        return Layout(tuple(candidates))
    must = MUST + (1 if ids else 0)
    widths = [natural_width(c, summaries, ids) for c in candidates]
    room = width - (1 + PAD) - sum(widths[:must])
    name_width = None
    if room < 0:
        name_width = max(MIN_NAME, widths[0] - PAD + room)
        room = 0
    chosen = list(candidates[:must])
    for column, size in zip(candidates[must:], widths[must:], strict=True):
        if size <= room:
            chosen.append(column)
            room -= size
    return Layout(tuple(chosen), name_width)
