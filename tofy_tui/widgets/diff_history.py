"""The session's queries with their scores, newest last; after a compare, the score on the
previous model stands beside the current one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tofy_core.probe.query import DiffAnswer
from tofy_tui.widgets.gauge import cosine_colour


@dataclass
class HistoryEntry:
    """One asked query: the answer on the model it was asked of, and on another (compare)."""

    text: str
    model: str
    answer: DiffAnswer
    other_model: str = ""
    other: DiffAnswer | None = None
    other_name: str = ""  # what the list calls the other model (its run's name)


def score_text(answer: DiffAnswer | None) -> Text:
    """The best answer's cosine and rank, or the top guess for a query without an answer."""
    if answer is None:
        return Text("—", style="dim")
    if answer.results:
        best = answer.results[0]
        return Text(f"{best.cosine:+.3f} #{best.rank}", style=cosine_colour(best.cosine))
    guess = answer.neighbors[0][0] if answer.neighbors else "—"
    return Text(f"guess {guess}", style="dim")


class HistoryPanel(OptionList):
    """Renders a list of HistoryEntry; choosing one puts its query back in the input."""

    def show(self, entries: list[HistoryEntry]) -> None:
        """Every entry anew (after a compare)."""
        self.clear_options()
        self.add_options([_option(i, entry) for i, entry in enumerate(entries)])
        if entries:
            self.highlighted = len(entries) - 1

    def add(self, entries: list[HistoryEntry]) -> None:
        """The newest entry appended (the others are already listed)."""
        self.add_option(_option(len(entries) - 1, entries[-1]))
        self.highlighted = len(entries) - 1


def _option(index: int, entry: HistoryEntry) -> Option:
    line = Text(entry.text, overflow="ellipsis", no_wrap=True)
    line.append("\n  ")
    line.append_text(score_text(entry.answer))
    if entry.other is not None:
        name = entry.other_name or entry.other_model
        name = name if len(name) <= 24 else name[:23] + "…"
        line.append(f"  vs {name} ", style="dim")
        line.append_text(score_text(entry.other))
    return Option(line, id=f"h{index}")
