"""One scored answer: its cosine gauge (−1…1), the L2 between unit vectors (0…2) and its rank
among all words, coloured by quality. Several cards stand side by side, best first; a card is
updated in place for the next query (mounting new widgets costs more than the query)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tofy_core.probe.query import DiffResult
from tofy_tui.widgets.gauge import Gauge, cosine_colour


class AnswerCard(Vertical):
    """Renders `result` (its gauges keep the values shown)."""

    def __init__(self, result: DiffResult, **kwargs) -> None:
        super().__init__(classes="answer-card", **kwargs)
        self.result = result

    def compose(self) -> ComposeResult:
        yield Static(classes="answer-title")
        yield Gauge("cosine", -1, 1, classes="cosine-gauge")
        yield Gauge("L2 unit", 0, 2, classes="l2-gauge")
        yield Static(classes="answer-rank")

    def on_mount(self) -> None:
        self.show(self.result)

    def show(self, result: DiffResult) -> None:
        self.result = result
        colour = cosine_colour(result.cosine)
        self.query_one(".answer-title", Static).update(Text(result.answer, style=f"bold {colour}"))
        self.query_one(".cosine-gauge", Gauge).show(result.cosine, colour)
        self.query_one(".l2-gauge", Gauge).show(result.l2_unit, colour)
        rank = Text()
        rank.append("rank ", style="dim")
        rank.append(f"{result.rank:,}", style=f"bold {colour}")
        rank.append(f" of {result.words:,} words  ·  ")
        rank.append(f"{result.percentile:.1f}", style="bold")
        rank.append(" percentile")
        if result.cosine_rank is not None:  # the rank above counts the word prior too
            rank.append("\nwith the word prior · by cosine alone ", style="dim")
            rank.append(f"{result.cosine_rank:,}", style="bold")
        self.query_one(".answer-rank", Static).update(rank)
