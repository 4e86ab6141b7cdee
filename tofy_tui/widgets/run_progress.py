"""Progress of the watched run: a bar, step, real (non-pad) tokens/s, elapsed time and an ETA
that counts down between events. A resumed run's elapsed time and finished rate are the whole
run's, all its sessions."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from tofy_core.format import format_duration
from tofy_tui.history import RunHistory


class RunProgress(Vertical):
    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_eta=False, id="progress-bar")
        yield Static("", id="progress-line", markup=False)

    def reset(self) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=0)
        self.query_one("#progress-line", Static).update("")

    def show(self, history: RunHistory, status: str) -> None:
        bar = self.query_one(ProgressBar)
        total, step = history.total_steps, history.step
        if total:
            bar.update(total=total, progress=step)
        line = Text()
        line.append(f"{status:<12}", style="bold")
        if status == "starting":
            line.append("loading the data and the trainer…", style="dim")
        if total:
            line.append(f"step {step:,}/{total:,}")
        last = history.last_step
        rate = history.real_tokens_per_s
        if last is not None and rate is not None:
            overall = " overall" if history.end is not None else ""
            line.append(f"   {rate:,.0f} tok/s{overall}")
            line.append(f"   elapsed {format_duration(history.elapsed)}")  # every session's
            if history.end is None and status == "running":  # not a replay's, nor a stop's
                line.append("   ETA ")
                line.append(format_duration(history.eta(time.time())), style="bold")
        self.query_one("#progress-line", Static).update(line)
