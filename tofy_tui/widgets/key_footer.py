"""The footer of every Tofy screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer removes and remounts every key on each bindings signal (a focus move, a button
enabled, `refresh_bindings`), several times in the app's first second even when nothing it
shows changed: each rebuild restyles and relays the whole screen, which delayed the moment the
Train form took keys. Here the signals of one refresh are merged into one check, and the keys
are rebuilt only when what they say (key, label, enabled) differs."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool], ...]


class KeyFooter(Footer):
    """A Footer that skips rebuilds which would draw the same keys."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: Shown | None = None
        self._pending = False

    def shown_keys(self) -> Shown:
        """(key, label, action, enabled) of every key the footer would draw, in order."""
        shown = [
            (binding.key, binding.description, binding.action, enabled)
            for _, binding, enabled, _ in self.screen.active_bindings.values()
            if binding.show
        ]
        palette = self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE
        return (*shown, ("palette", "", "", bool(palette)))

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
