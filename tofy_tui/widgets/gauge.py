"""A horizontal gauge for one score on a fixed scale, coloured by how good the value is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

WIDTH = 24
GOOD, FAIR = "green", "yellow"
POOR = "red"


def cosine_colour(cosine: float) -> str:
    """Green from 0.5 (clearly the answer's direction), yellow from 0.2, red below."""
    if cosine >= 0.5:
        return GOOD
    return FAIR if cosine >= 0.2 else POOR


def bar(fraction: float, width: int = WIDTH) -> str:
    """A bar of eighth blocks filled to `fraction` (0…1) of `width` cells."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(width, "·")


class Gauge(Static):
    """`label ▕bar▏ value` on the scale `low…high`, on one line at any width (the bar takes
    what the label, the scale's ends and the value leave); `value` is what the engine
    returned."""

    DEFAULT_CSS = "Gauge { height: 1; }"

    def __init__(self, label: str, low: float, high: float, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.label = label
        self.low = low
        self.high = high
        self.value: float | None = None
        self.colour = ""

    def show(self, value: float, colour: str) -> None:
        self.value = value
        self.colour = colour
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        if self.value is None:
            return text
        label = f"{self.label} ".ljust(8)
        low, high, value = f"{self.low:g} ", f" {self.high:g} ", f" {self.value:.4f}"
        room = self.size.width - len(label) - len(low) - len(high) - len(value)
        text.append(label, style="dim")
        if room >= 4:  # too narrow for a bar: the value alone
            text.append(low)
            fraction = (self.value - self.low) / (self.high - self.low)
            text.append(bar(fraction, min(room, WIDTH)), style=self.colour)
            text.append(high)
        text.append(value.strip() if room < 4 else value, style=f"bold {self.colour}")
        return text
