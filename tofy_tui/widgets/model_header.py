"""The Diff screen's first line: which model answers (run, parameters, words, step, held-out
top-10), or that one is loading, or why it could not be loaded."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from tofy_core.format import format_count


def summary_text(prober: Any) -> Text:
    """Run, parameters, vocabulary, step and held-out top-10 of a loaded Prober."""
    text = Text()
    text.append(prober.label, style="bold")
    text.append(f"  ·  {format_count(prober.parameters)} parameters  ·  {prober.words:,} words")
    text.append(f"  ·  {prober.where()}", style="yellow" if prober.training else "")
    if prober.heldout_top10 is not None:
        text.append(f"  ·  held-out top-10 {prober.heldout_top10:.1%}")
    return text


class ModelHeader(Static):
    """One line; the classes `-loading` and `-error` colour it."""

    DEFAULT_CSS = """
    ModelHeader { height: auto; padding: 0 1; background: $panel; }
    ModelHeader.-loading { color: $warning; }
    ModelHeader.-error { color: $error; }
    """

    def _line(self, text: str | Text, kind: str = "") -> None:
        self.remove_class("-loading", "-error")
        if kind:
            self.add_class(kind)
        self.update(Text(text) if isinstance(text, str) else text)

    def loading(self, ref: str) -> None:
        self._line(
            f"Loading {ref}… (the first model loaded starts torch: a few seconds)", "-loading"
        )

    def loaded(self, prober: Any) -> None:
        self._line(summary_text(prober))

    def failed(self, ref: str, problem: str, still: str = "") -> None:
        kept = f" — still probing {still}" if still else ""
        self._line(f"Could not load {ref}: {problem}{kept}. Ctrl+O picks another.", "-error")

    def no_model(self) -> None:
        self._line(
            "No trained model yet: train one (1), or pick a weights file (Ctrl+O).", "-error"
        )
