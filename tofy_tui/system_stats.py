"""What the system panel shows, sampled with psutil: the machine's CPU and memory, and the
training process's CPU, threads and resident memory, found through its run.json (the pid the
trainer recorded, checked against its start time so a recycled pid is never measured).

A run's processes are its trainer and everything the trainer started (data workers); CPU % is
top's convention, 100 % per busy core. Sampling takes well under a millisecond but runs in the
panel's worker thread anyway; GPU figures come from tofy_tui/gpu_stats.py."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tofy_core.errors import TofyError
from tofy_core.runs import folders as runs
from tofy_tui.gpu_stats import GpuReading, GpuStats


@dataclass(frozen=True)
class ProcessStats:
    """The training process and its children, summed."""

    pid: int
    cpu: float  # % of one core (400 % = four busy cores)
    threads: int
    rss: int  # bytes
    processes: int


@dataclass(frozen=True)
class SystemSample:
    cpu: float  # the machine's CPU use, % of all its cores
    cores: int
    memory_used: int
    memory_total: int
    process: ProcessStats | None = None
    gpu: GpuReading | None = None  # None: not a CUDA run


@dataclass
class Target:
    """What to measure: the watched run's folder, and whether it trains on CUDA."""

    run_dir: Path | None = None
    device: str = ""

    @property
    def cuda(self) -> bool:
        return self.device.startswith("cuda")


@dataclass
class Sampler:
    """Keeps the psutil objects between samples: `cpu_percent` measures since the last call,
    so a process is only given a figure from its second sample on."""

    gpus: GpuStats = field(default_factory=GpuStats)
    _seen: dict[tuple[int, float], psutil.Process] = field(default_factory=dict)
    _root: psutil.Process | None = None
    _root_dir: Path | None = None

    def __post_init__(self) -> None:
        psutil.cpu_percent(None)  # the machine's first reading starts now

    def sample(self, target: Target) -> SystemSample:
        memory = psutil.virtual_memory()
        process = self._process(target.run_dir)
        gpu = self.gpus.read(target.device, process.pid if process else None)
        return SystemSample(
            cpu=psutil.cpu_percent(None),
            cores=psutil.cpu_count() or 1,
            memory_used=memory.total - memory.available,
            memory_total=memory.total,
            process=process,
            gpu=gpu if target.cuda else None,
        )

    def _process(self, run_dir: Path | None) -> ProcessStats | None:
        root = self._trainer(run_dir)
        if root is None:
            return None
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            self._root = None
            return None
        cpu, threads, rss, alive = 0.0, 0, 0, 0
        for process in tree:
            with contextlib.suppress(psutil.Error):
                known = self._known(process)
                with known.oneshot():
                    cpu += known.cpu_percent(None)
                    threads += known.num_threads()
                    rss += known.memory_info().rss
                alive += 1
        self._forget_gone(tree)
        # none readable: gone meanwhile, or another user's (psutil may not read those)
        return ProcessStats(root.pid, cpu, threads, rss, alive) if alive else None

    def _trainer(self, run_dir: Path | None) -> psutil.Process | None:
        """The run's trainer from its run.json, kept while it runs (a resume starts a new
        one: looked up again once this one is gone)."""
        if run_dir != self._root_dir:
            self._root, self._root_dir = None, run_dir
        if self._root is not None and self._root.is_running():
            return self._root
        self._root = None
        if run_dir is None:
            return None
        try:
            info = runs.read_info(run_dir)
        except TofyError:
            return None  # not written yet, or torn: the next sample tries again
        if info.status == "running":
            self._root = runs.trainer_process(info.pid, info.pid_started)
        return self._root

    def _known(self, process: psutil.Process) -> psutil.Process:
        key = (process.pid, process.create_time())
        return self._seen.setdefault(key, process)

    def _forget_gone(self, tree: list[psutil.Process]) -> None:
        alive = {p.pid for p in tree}
        for key in [k for k in self._seen if k[0] not in alive]:
            del self._seen[key]
