"""The footer of every Tofy screen: the screen's keys on one line, drawn by one widget.

Textual's Footer is a widget per key, removed and mounted again whenever the keys change, and
they change at each move into or out of a field (a field takes single-letter keys as text):
every rebuild restyled and laid out the whole screen, and its keys were a third of the
widgets the app built before the Train form took keys. Here a change redraws one line; a
click on a key presses it, as on Textual's Footer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class FooterKey:
    """One key as the footer draws it: `start`/`end` are its columns (end excluded)."""

    key: str
    display: str
    description: str
    enabled: bool
    start: int = 0
    end: int = 0


class KeyFooter(Widget):
    """The current screen's shown bindings, then the command palette's key on the right.

    A screen's `FOOTER_ORDER` (binding ids) puts its main keys first; what does not fit the
    width is left out from the end (it stays in `?` and the palette)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key",
        "key-footer--description",
        "key-footer--hover",
        "key-footer--rule",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            background: $block-hover-background;
        }
        & > .key-footer--rule {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[FooterKey, ...] = ()
        self._palette: FooterKey | None = None
        self._hover: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen) -> None:
        """The focus moved, or a key was enabled or disabled: draw again if what the
        footer says changed (a repaint of this line, nothing else)."""
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette = self._shown_keys()
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.refresh()

    def _shown_keys(self) -> tuple[tuple[FooterKey, ...], FooterKey | None]:
        """A key per action, the shortest of its shown bindings (`q` before `ctrl+q`, which
        shows only while a field takes `q` as text), in the screen's order; and the palette's."""
        bindings = self.screen.active_bindings
        first = getattr(self.screen, "FOOTER_ORDER", ())  # binding ids, most used first
        chosen: dict[str, tuple[tuple[int, int], FooterKey]] = {}
        for order, (_, binding, enabled, _) in enumerate(bindings.values()):
            if not binding.show:
                continue
            key = self._footer_key(binding, enabled)
            rank = (first.index(binding.id) if binding.id in first else len(first), order)
            held = chosen.get(binding.action)
            if held is None or cell_len(key.display) < cell_len(held[1].display):
                chosen[binding.action] = (min(rank, held[0]) if held else rank, key)
        keys = tuple(key for _, key in sorted(chosen.values(), key=lambda pair: pair[0]))
        palette = None
        found = bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.app.ENABLE_COMMAND_PALETTE and found is not None:
            _, binding, enabled, _ = found
            palette = self._footer_key(binding, enabled)
        return keys, palette

    def _footer_key(self, binding: Binding, enabled: bool) -> FooterKey:
        return FooterKey(
            binding.key, self.app.get_key_display(binding), binding.description, enabled
        )

    @property
    def keys(self) -> tuple[FooterKey, ...]:
        """Every key the screen shows now (drawn or not), in order, without columns."""
        return self._keys

    def placed(self) -> tuple[list[FooterKey], FooterKey | None]:
        """The keys drawn at this width, with their columns: the palette's key is on the
        right, and keys that would reach it are left out (they stay in the palette)."""
        width = self.size.width
        palette = None
        if self._palette is not None:
            size = cell_len(self._label(self._palette)) + 1  # its rule on the left
            palette = _at(self._palette, width - size, width)
            width -= size
        placed, x = [], 0
        for key in self._keys:
            size = cell_len(self._label(key))
            if x + size > width:
                break
            placed.append(_at(key, x, x + size))
            x += size
        return placed, palette

    @staticmethod
    def _label(key: FooterKey) -> str:
        return f" {key.display} {key.description} " if key.description else f" {key.display} "

    def render(self) -> Text:
        placed, palette = self.placed()
        line = Text(no_wrap=True, overflow="crop", end="")
        for key in placed:
            self._draw(line, key)
        if palette is not None:
            line.append(" " * (palette.start - line.cell_len))
            line.append("▏", self.get_component_rich_style("key-footer--rule"))
            self._draw(line, palette)
        return line

    def _draw(self, line: Text, key: FooterKey) -> None:
        start = line.cell_len
        line.append(f" {key.display} ", self.get_component_rich_style("key-footer--key"))
        if key.description:
            style = self.get_component_rich_style("key-footer--description")
            line.append(f"{key.description} ", style)
        if not key.enabled:
            line.stylize("dim", start)
        if key.key == self._hover:
            line.stylize(self.get_component_rich_style("key-footer--hover"), start)

    def key_at(self, x: int) -> FooterKey | None:
        placed, palette = self.placed()
        for key in [*placed, *([palette] if palette else [])]:
            if key.start <= x < key.end:
                return key
        return None

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        hover = key.key if key is not None else None
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()


def _at(key: FooterKey, start: int, end: int) -> FooterKey:
    return FooterKey(key.key, key.display, key.description, key.enabled, start, end)
