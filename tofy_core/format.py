"""Human formatting, one formatter each: durations, counts, bytes and aligned tables.

The CLI, the TUI, the progress printer and the benchmarks all import these, so the same
quantity reads the same everywhere (bytes are binary: 1 KiB = 1024 B)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def printable(text: str) -> str:
    """`text` safe to print on a terminal: a control character (an escape sequence, a newline)
    is shown as its escape (`\\x1b`) instead of acting on the user's screen."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_duration(seconds: float | None) -> str:
    """`42s`, `3m05s`, `2h07m`; `?` when unknown (no ETA yet)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def format_count(count: int) -> str:
    """`950`, `12.3k`, `4.56M`: parameter and token counts at a glance."""
    if count >= 1_000_000:
        return f"{count / 1e6:.2f}M"
    if count >= 1_000:
        return f"{count / 1e3:.1f}k"
    return str(count)


def format_bytes(count: float) -> str:
    """`12 B`, `2.0 KiB`, `5.0 MiB`, `3.0 GiB` (binary units, GiB the largest)."""
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def format_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    right: Collection[int] = (),
    markdown: bool = False,
) -> str:
    """Columns padded to their widest cell; the columns in `right` are right-aligned.

    Plain tables separate columns by two spaces and drop trailing blanks; `markdown` draws
    `| a | b |` rows under a `|:---|---:|` rule, so a README can hold the table verbatim."""
    cells = [[str(cell) for cell in header], *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |" if markdown else "  ".join(parts).rstrip()

    lines = [line(row) for row in cells]
    if markdown:
        rule = "|".join(
            "-" * (width + 1) + ":" if i in right else ":" + "-" * (width + 1)
            for i, width in enumerate(widths)
        )
        lines.insert(1, f"|{rule}|")
    return "\n".join(lines)
