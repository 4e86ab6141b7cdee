"""Progress on the console: a line redrawn in place on a terminal, plain lines when the output
is piped (so logs stay readable). `ProgressPrinter` shows the data code's `Progress` counts,
`ConsoleProgress` shows a training run's events; both draw through `LiveLine`."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tofy_core.format import format_bytes, format_count, format_duration
from tofy_core.rates import real_rate

BAR_WIDTH = 24
PIPED_INTERVAL_S = 5.0  # a piped ProgressPrinter prints a line at most this often


class LiveLine:
    """One line redrawn in place on a terminal; lines printed meanwhile go above it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def draw(self, text: str) -> None:
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = True

    def print(self, text: str) -> None:
        """A permanent line: it replaces the drawn one, which the next `draw` brings back."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Keep the drawn line and end it, so what follows starts on a fresh line."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


class ProgressPrinter:
    """A `Progress` callback for stderr: one updating line on a terminal, an occasional plain
    line when piped (every PIPED_INTERVAL_S and at the end)."""

    def __init__(self, label: str, stream: TextIO | None = None, unit: str = "rows") -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.live = LiveLine(self.stream) if self.stream.isatty() else None
        self.last_print = self.began = time.monotonic()
        self.last_text = ""

    def __call__(self, done: int, total: int | None) -> None:
        text = self._text(done, total)
        if self.live is not None:
            self.live.draw(text)
        else:
            finished = total is not None and done >= total and done > 0
            now = time.monotonic()
            if (finished or now - self.last_print >= PIPED_INTERVAL_S) and text != self.last_text:
                print(text, file=self.stream, flush=True)
                self.last_print = now
        self.last_text = text

    def close(self) -> None:
        """End the updating line, if one was drawn."""
        if self.live is not None:
            self.live.close()

    def _text(self, done: int, total: int | None) -> str:
        if self.unit == "bytes" and total:
            return self._bytes_text(done, total)
        if not total:
            return f"{self.label}: {done:,} {self.unit}"
        return f"{self.label}: {done:,}/{total:,} {self.unit} ({100 * done / total:.0f}%)"

    def _bytes_text(self, done: int, total: int) -> str:
        """`label: [bar] 40% 38.0/96.0 MiB, 9.1 MiB/s, ETA 6s`: bytes, speed and time left."""
        fraction = min(done / total, 1.0)
        filled = round(fraction * BAR_WIDTH)
        text = f"{self.label}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:.0%} "
        text += f"{format_bytes(done)}/{format_bytes(total)}"
        elapsed = time.monotonic() - self.began
        if done and elapsed > 0:
            speed = done / elapsed
            text += f", {format_bytes(speed)}/s"
            if done < total:
                text += f", ETA {format_duration((total - done) / speed)}"
        return text


def memory_text(event: dict[str, Any]) -> str:
    if event.get("mem_kind") == "cuda":
        return f"cuda {format_bytes(event.get('mem_allocated', 0))}"
    if "mem_rss" in event:
        return f"rss {format_bytes(event['mem_rss'])}"
    return ""


def step_line(event: dict[str, Any]) -> str:
    step, steps = event["step"], event.get("steps") or event["step"]
    return (
        f"step {step}/{steps}  loss {event['loss']:.4f}  acc {event['accuracy']:.3f}  "
        f"lr {event['lr']:.2e}  {real_rate(event):,.0f} tok/s  "
        f"{memory_text(event)}  ETA {format_duration(event.get('eta'))}"
    )


class ConsoleProgress:
    """Listens to trainer events and prints them for a person."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self._bar = LiveLine(self.stream)

    def __call__(self, event: dict[str, Any]) -> None:
        handler = getattr(self, f"on_{event['event']}", None)
        if handler:
            handler(event)

    def _line(self, text: str) -> None:
        self._bar.print(text)

    def on_start(self, event: dict[str, Any]) -> None:
        from tofy_core.data.split import describe_split

        cached = " (from cache)" if event.get("from_cache") else ""
        resumed = f", resuming at step {event['resumed_from']}" if event["resumed_from"] else ""
        self._line(
            f"run {event['run_id']}: {format_count(event['parameters'])} parameters on "
            f"{event['device']}{resumed}"
        )
        self._line(f"data {event['dataset']}{cached}: {describe_split(event['corpus'])}")

    def on_step(self, event: dict[str, Any]) -> None:
        if not self.live:
            self._line(step_line(event))
            return
        step, steps = event["step"], event.get("steps") or event["step"]
        filled = int(BAR_WIDTH * step / max(steps, 1))
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        self._bar.draw(
            f"{bar} {step}/{steps} loss {event['loss']:.4f} "
            f"{real_rate(event):,.0f} tok/s ETA {format_duration(event.get('eta'))}"
        )

    def on_eval(self, event: dict[str, Any]) -> None:
        counts = event.get("unigram_top10")
        against = f" (word counts alone: {counts:.1%})" if counts is not None else ""
        self._line(
            f"eval @ {event['step']}: top-1 {event['top1']:.1%}  top-10 {event['top10']:.1%}"
            f"{against}  mean rank {event['mean_rank']:.1f} of {event['words']:,} words"
        )

    def on_warning(self, event: dict[str, Any]) -> None:
        self._line(f"warning @ {event.get('step')}: {event.get('message', '')}")

    def on_end(self, event: dict[str, Any]) -> None:
        status = event["status"]
        text = f"{status} at step {event['step']}"
        if event.get("error"):
            text += f": {event['error']}"
        elif event.get("train_seconds"):
            text += (
                f" after {format_duration(event['train_seconds'])} of training, "
                f"{event.get('real_tokens_per_s', 0):,.0f} tok/s overall"
            )
        self._line(text)
