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
    """`label ▕bar▏ value` on the scale `low…high`; `value` is what the engine returned."""

    def __init__(self, label: str, low: float, high: float, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.label = label
        self.low = low
        self.high = high
        self.value: float | None = None

    def show(self, value: float, colour: str) -> None:
        self.value = value
        text = Text()
        text.append(f"{self.label:<7}", style="dim")
        text.append(f"{self.low:g} ")
        text.append(bar((value - self.low) / (self.high - self.low)), style=colour)
        text.append(f" {self.high:g}  ")
        text.append(f"{value:.4f}", style=f"bold {colour}")
        self.update(text)
