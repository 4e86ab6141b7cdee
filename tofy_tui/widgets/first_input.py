"""The Train form's first field, focused by the app at launch so the user sees where typing
goes. The user did not choose it, so until they type into it (any other key), click it, or
leave it and come back, the screen's single-letter keys still act (s starts, w watches, 1,
2, 3 switch screens, ? helps, q quits), as on the Diff screen's empty query line: no key the
user meant for the app lands in a field by surprise."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

# The screen's and the app's single-letter keys: Start (s) stays one key away at launch.
SCREEN_KEYS = frozenset({"1", "2", "3", "question_mark", "q", "s", "w", "o", "l", "f"})


class FirstInput(Input):
    """An Input that passes the screen keys on while `untouched` (set by the app's focus)."""

    untouched = False

    def _passes(self, key: str) -> bool:
        return self.untouched and key in SCREEN_KEYS

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if self._passes(key):
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        """Textual calls Input's own handler after this one unless the default is prevented:
        a passed key is not typed and bubbles up to the app's bindings; any other key is the
        user's own typing, from which every key is text."""
        if self._passes(event.key):
            event.prevent_default()
        elif event.is_printable or event.key in ("backspace", "delete"):
            self._touch()

    def on_click(self, event: events.Click) -> None:
        self._touch()  # chosen with the mouse: the user's field now

    def _touch(self) -> None:
        if self.untouched:
            self.untouched = False
            self.screen.refresh_bindings()  # the footer: letters are text from now on

    def on_blur(self, event: events.Blur) -> None:
        """Focus moved to another widget: coming back is the user's choice. (Another screen
        shown keeps the focus here, and the field untouched.)"""
        if self.screen.focused is not self:
            self._touch()
