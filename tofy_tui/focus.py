"""Focus a user can see: a widget that a hidden pane (display: none) holds, or that lies off
the screen, must not keep the focus, or the letters typed next land in a field the user
cannot see (and single-letter keys stop working, the field taking them as text)."""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget


def shown(widget: Widget) -> bool:
    """The widget and each of its containers are displayed (its region may be stale until
    the next layout, so display is what decides)."""
    node: Widget | None = widget
    while node is not None and not isinstance(node, Screen):
        if not node.display:
            return False
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return True


def keep_focus_shown(screen: Screen, *fallbacks: Widget) -> None:
    """Move the focus off a hidden widget: to the first shown, focusable fallback, else
    nowhere (the screen's single-letter keys then work)."""
    focused = screen.focused
    if focused is None or shown(focused):
        return
    for widget in fallbacks:
        if widget.is_attached and widget.focusable and shown(widget):
            widget.focus()
            return
    screen.set_focus(None)
