"""The Train form's first field, focused by the app at launch so the user sees where typing
goes. A field that shows focus takes text: every letter typed there is the path's (a path
that starts with s, w or q is typed, not a command), and Start stays one key away as Ctrl+R,
which the footer shows. Only the screen switches and the help (1, 2, 3, ?) pass on until the
user types into it, clicks it, or leaves it and comes back, as on the Diff screen's empty
query line."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

# The screen switches and the help; never a letter, which a path may start with.
SCREEN_KEYS = frozenset({"1", "2", "3", "question_mark"})


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
