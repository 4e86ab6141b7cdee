"""The Diff screen's query line. While it is empty the mode keys (1, 2, 3) still switch
screens, so pressing 3 can land the cursor here without trapping the user; once a query is
being typed every key is text."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input

MODE_KEYS = frozenset({"1", "2", "3"})


class QueryInput(Input):
    # Bound here, not only on the screen: Input's own (hidden) up/down would hide the screen's
    # from the footer, which shows the binding nearest the focus.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "screen.recall(-1)", "Recall", id="diff.recall"),
        Binding("down", "screen.recall(1)", "Later", show=False, id="diff.recall-later"),
    ]

    def __init__(self, **kwargs) -> None:
        # Keys typed on the Diff screen's lists come here: selecting the line as it takes the
        # focus would let the next key replace what was just typed.
        super().__init__(select_on_focus=False, **kwargs)

    def _passes(self, key: str) -> bool:
        return not self.value and key in MODE_KEYS

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if self._passes(key):
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        """Textual calls Input's own handler after this one unless the default is prevented:
        a passed key is not typed, and bubbles up to the app's mode bindings."""
        if self._passes(event.key):
            event.prevent_default()
