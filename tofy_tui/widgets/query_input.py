"""The Diff screen's query line. While it is empty the mode keys (1, 2, 3) still switch
screens, so pressing 3 can land the cursor here without trapping the user; once a query is
being typed every key is text."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

MODE_KEYS = frozenset({"1", "2", "3"})


class QueryInput(Input):
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
