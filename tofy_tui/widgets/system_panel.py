"""The system panel (`y` shows or hides it): the trainer's CPU, threads and resident memory,
the machine's CPU and memory, and on CUDA the GPU's load and memory, sampled once a second in
a worker thread (tofy_tui/system_stats.py) so the screen never waits on psutil or NVML."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from tofy_core.format import format_bytes
from tofy_tui.system_stats import Sampler, SystemSample, Target
from tofy_tui.widgets.gauge import bar

SAMPLE_S = 1.0
BAR = 10


class SystemSampled(Message):
    def __init__(self, sample: SystemSample) -> None:
        super().__init__()
        self.sample = sample


class SystemPanel(Static):
    """Renders the latest `SystemSample`; the worker samples only while the panel shows."""

    DEFAULT_CSS = "SystemPanel { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.target = Target()
        self.sample: SystemSample | None = None
        self.last_step: dict[str, Any] | None = None  # torch's memory figures, when no NVML
        self.run_live = False

    def on_mount(self) -> None:
        self.sample_loop()

    def watch_run(self, run_dir: Path | None, live: bool) -> None:
        """Measure this run's trainer (found through its run.json) from the next sample."""
        self.target = Target(run_dir, "")
        self.run_live = live
        self.last_step = None
        self._show()

    def show_history(self, start: dict[str, Any] | None, last_step: dict[str, Any] | None):
        """The run's device (from its start event) and its latest step's memory figures."""
        device = str((start or {}).get("device", ""))
        if device != self.target.device:
            self.target = Target(self.target.run_dir, device)
        self.last_step = last_step

    def set_live(self, live: bool) -> None:
        if live != self.run_live:
            self.run_live = live
            self._show()

    @work(thread=True, exclusive=True, group="system", exit_on_error=False)
    def sample_loop(self) -> None:
        worker = get_current_worker()
        sampler = Sampler()
        while not worker.is_cancelled:
            if self.display:
                self.post_message(SystemSampled(sampler.sample(self.target)))
            deadline = time.monotonic() + SAMPLE_S
            while time.monotonic() < deadline and not worker.is_cancelled:
                time.sleep(0.05)

    def on_system_sampled(self, message: SystemSampled) -> None:
        self.sample = message.sample
        self._show()

    def _show(self) -> None:
        if self.sample is not None:
            self.update(render_sample(self.sample, self.run_live, self.last_step))


def render_sample(sample: SystemSample, live: bool, last_step: dict[str, Any] | None) -> Text:
    text = Text()
    text.append("trainer  ", style="bold")
    process = sample.process
    if process is None:
        text.append("no trainer process" + ("" if live else ": the run is not training"))
        text.append("\n")
    else:
        text.append(bar(process.cpu / (100 * sample.cores), BAR), style="cyan")
        text.append(f" {process.cpu:3.0f}% CPU", style="bold")
        # every OS thread of the trainer (data loading, logging…), not torch's compute threads
        threads = f"{process.threads} process thread{'s' if process.threads != 1 else ''}"
        text.append(f" · {threads} · RSS ")
        text.append(format_bytes(process.rss), style="bold")
        more = f" in {process.processes} processes" if process.processes > 1 else ""
        text.append(f"{more} · pid {process.pid}\n", style="dim")
    text.append("machine  ", style="bold")
    load = sample.cpu / 100
    text.append(bar(load, BAR), style="green" if load < 0.7 else "yellow" if load < 0.9 else "red")
    text.append(f" {sample.cpu:3.0f}% CPU", style="bold")
    text.append(f" of {sample.cores} cores", style="dim")
    text.append(f" · RAM {format_bytes(sample.memory_used)} / {format_bytes(sample.memory_total)}")
    gpu = sample.gpu
    if gpu is not None:
        text.append(f"\nGPU {gpu.index}    ", style="bold")
        if gpu.util is not None and gpu.used is not None and gpu.total:
            text.append(bar(gpu.util / 100, BAR), style="magenta")
            text.append(f" {gpu.util:3.0f}% busy", style="bold")
            text.append(f" · {format_bytes(gpu.used)} / {format_bytes(gpu.total)}")
            if gpu.trainer_used is not None:
                text.append(f" · trainer {format_bytes(gpu.trainer_used)}")
            text.append(f" · {gpu.name}", style="dim")
        else:
            text.append(torch_memory(last_step))
            text.append(f" · {gpu.note}", style="dim")
    return text


def torch_memory(last_step: dict[str, Any] | None) -> str:
    """What the trainer's own step events say: PyTorch's allocated and reserved CUDA memory."""
    step = last_step or {}
    if step.get("mem_kind") != "cuda":
        return "torch memory: after the first logged step"
    allocated = format_bytes(float(step.get("mem_allocated", 0)))
    reserved = format_bytes(float(step.get("mem_reserved", 0)))
    return f"torch allocated {allocated} / reserved {reserved}"
