"""The nearest words to the prediction, each with a cosine bar; choosing one asks the same
phrase with that word as the answer."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tofy_tui.widgets.gauge import bar, cosine_colour


class NeighbourList(OptionList):
    """`words` is what is listed (word, cosine), best first."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.words: list[tuple[str, float]] = []

    def show(self, neighbors: list[tuple[str, float]], hidden: set[str]) -> None:
        """List the neighbours, leaving out `hidden` (words already in the phrase)."""
        self.words = [(w, c) for w, c in neighbors if w not in hidden]
        self.clear_options()
        width = max((len(w) for w, _ in self.words), default=4)
        options = []
        for rank, (word, cosine) in enumerate(self.words, 1):
            line = Text(f"{rank:>3}. ")
            line.append(f"{word:<{width}} ", style="bold")
            line.append(bar((cosine + 1) / 2, 16), style=cosine_colour(cosine))
            line.append(f" {cosine:+.3f}")
            options.append(Option(line, id=f"n{rank}"))
        self.add_options(options)
        if options:
            self.highlighted = 0  # Enter on the list asks the best word at once

    def word_at(self, index: int) -> str:
        return self.words[index][0]
