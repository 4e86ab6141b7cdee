"""The Diff screen (placeholder): what probing a model will look like."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

COMING = """Probe a trained model — coming with the Diff issue.

Type a phrase with a mask and the word you expect:

    i moved to _ for a while => istanbul

and see how close the model's predicted embedding is to the answer's (cosine, L2),
the answer's rank among all words, and the nearest words.

Meanwhile, from the shell:  tofy diff RUN   (or  tofy diff RUN --query "i _ you => love")
"""


class DiffScreen(Screen):
    SUB_TITLE = "Diff"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(COMING, id="diff-note", markup=False)
        yield Footer()
