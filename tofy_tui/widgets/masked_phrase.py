"""The phrase as the model will see it, as chips: the mask highlighted, unknown words marked
`<unk>`, tokens removed because they equal the answer struck through, tokens beyond the window
dimmed. Text is never read as markup."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tofy_core.probe.query import TokenView

RICH_STYLES = {
    "word": "bold",
    "mask": "bold black on yellow",
    "unknown": "bold red",
    "removed": "strike dim",
    "outside": "dim italic",
}
LEGEND = {
    "unknown": "red: unknown (read as <unk>)",
    "removed": "struck: removed (equal to the answer)",
    "outside": "dim: beyond the window",
}


def chips(views: list[TokenView]) -> Text:
    """One line of chips, then a legend of the marks present."""
    text = Text()
    for view in views:
        if text:
            text.append(" ")
        shown = " _ " if view.kind == "mask" else f" {view.text} "
        text.append(shown, style=RICH_STYLES[view.kind])
        if view.kind == "unknown":
            text.append("<unk>", style="red")
    present = [LEGEND[kind] for kind in LEGEND if any(v.kind == kind for v in views)]
    if present:
        text.append("\n" + "  ·  ".join(present), style="dim")
    return text


class MaskedPhrase(Static):
    """Shows `views` (kept for whoever asks what is shown)."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.views: list[TokenView] = []

    def show(self, views: list[TokenView]) -> None:
        self.views = views
        self.update(chips(views))
