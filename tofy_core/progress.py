"""Training progress on the console: a bar redrawn in place on a terminal, plain lines when
the output is piped (so logs stay readable)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tofy_core.cli_args import format_duration
from tofy_core.config import human_bytes, human_count

BAR_WIDTH = 24


def memory_text(event: dict[str, Any]) -> str:
    if event.get("mem_kind") == "cuda":
        return f"cuda {human_bytes(event.get('mem_allocated', 0))}"
    if "mem_rss" in event:
        return f"rss {human_bytes(event['mem_rss'])}"
    return ""


def real_rate(event: dict[str, Any]) -> float:
    """Real (non-pad) tokens per second; events written before it existed give the padded
    figure."""
    return float(event.get("real_tokens_per_s", event.get("tokens_per_s", 0.0)))


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
        self._bar_shown = False

    def __call__(self, event: dict[str, Any]) -> None:
        handler = getattr(self, f"on_{event['event']}", None)
        if handler:
            handler(event)

    def _line(self, text: str) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[2K")
            self._bar_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def on_start(self, event: dict[str, Any]) -> None:
        from tofy_core.data.split import describe_split

        cached = " (from cache)" if event.get("from_cache") else ""
        resumed = f", resuming at step {event['resumed_from']}" if event["resumed_from"] else ""
        self._line(
            f"run {event['run_id']}: {human_count(event['parameters'])} parameters on "
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
        self.stream.write(
            f"\r\x1b[2K{bar} {step}/{steps} loss {event['loss']:.4f} "
            f"{real_rate(event):,.0f} tok/s ETA {format_duration(event.get('eta'))}"
        )
        self.stream.flush()
        self._bar_shown = True

    def on_eval(self, event: dict[str, Any]) -> None:
        self._line(
            f"eval @ {event['step']}: top-1 {event['top1']:.1%}  top-10 {event['top10']:.1%}  "
            f"mean rank {event['mean_rank']:.1f} of {event['words']:,} words"
        )

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
