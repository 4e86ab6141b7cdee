"""The callback the data code reports its progress through (`progress(done, total)`: rows,
total None when unknown) and `throttled`, which limits how often it is called. The console
printers that show such progress live in cli/console.py."""

from __future__ import annotations

import time
from collections.abc import Callable

THROTTLE_S = 0.2  # the data code reports at most this often

Progress = Callable[[int, int | None], None]


def throttled(
    progress: Progress | None, total: int | None, interval: float = THROTTLE_S
) -> Callable[..., None]:
    """`report(done, force=False)`: calls `progress(done, total)` at most every `interval`
    seconds (always when forced, as at the end); reports 0 at once."""
    last = 0.0

    def report(done: int, force: bool = False) -> None:
        nonlocal last
        now = time.monotonic()
        if progress is not None and (force or now - last >= interval):
            last = now
            progress(done, total)

    report(0, force=True)
    return report
