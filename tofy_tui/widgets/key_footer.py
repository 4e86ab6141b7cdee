"""The footer of every Tofy screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer removes and remounts every key on each bindings signal (a focus move, a button
enabled, `refresh_bindings`), several times in the app's first second even when nothing it
shows changed: each rebuild restyles and relays the whole screen, which delayed the moment the
Train form took keys. Here the signals of one refresh are merged into one check, and the keys
are rebuilt only when what they say (key, label, enabled) differs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

Shown = tuple[tuple[str, str, str, bool], ...]


class PlainKey(FooterKey):
    """A footer key in the footer's own (not compact) style from the start: FooterKey starts
    compact and is then bound to the footer's style, which restyled every key twice as the
    footer was built."""

    compact = reactive(False)


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

    def compose(self) -> ComposeResult:
        """A key for each action the screen shows (the first of its bindings), then the
        palette's key; Tofy's bindings have no groups."""
        if not self._bindings_ready:
            return
        actions: dict[str, tuple] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                actions.setdefault(binding.action, (binding, enabled, tooltip))
        self.styles.grid_size_columns = len(actions)
        for binding, enabled, tooltip in actions.values():
            yield PlainKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            )
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _ = found
                yield PlainKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

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
