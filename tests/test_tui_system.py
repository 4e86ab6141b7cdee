"""The system panel: the training child's CPU, threads and memory while it trains (a real
tiny child), and on CUDA the GPU's load through NVML, or torch's own figures without it (NVML
faked: the tests run on any machine)."""

from __future__ import annotations

import re
import sys
from types import SimpleNamespace

import pytest
from tui_pilot import SIZE, TINY, fill, wait_until

from tofy_core import paths
from tofy_core.runs import folders as runs
from tofy_tui.app import TofyApp
from tofy_tui.gpu_stats import NO_NVML, GpuStats
from tofy_tui.system_stats import ProcessStats, SystemSample
from tofy_tui.widgets.system_panel import SystemPanel, render_sample

GIB = 1024**3


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


async def test_the_system_panel_shows_the_training_childs_cpu(tiny_corpus):
    app = TofyApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.ready, "the form and the monitor")
        await fill(pilot, screen, data=str(tiny_corpus), steps="100000", **TINY)
        await pilot.press("ctrl+r")  # the form opens in its first field: s is text there
        await wait_until(pilot, lambda: screen.history.last_step is not None, "first step")
        panel = screen.query_one(SystemPanel)

        def measured() -> bool:
            process = panel.sample.process if panel.sample is not None else None
            return process is not None and process.cpu > 0

        await wait_until(pilot, measured, "the trainer's CPU figures")
        text = str(panel.render())
        pid = runs.read_info(paths.runs_dir() / screen.watched_id).pid
        assert f"pid {pid}" in text and re.search(r"\d+% CPU · \d+ process threads? · RSS \d", text)
        assert "machine" in text and f"of {panel.sample.cores} cores" in text
        assert "GPU" not in text  # a CPU run
        await pilot.press("y")
        assert not panel.display
        await pilot.press("y")
        assert panel.display
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.status == "stopped", "the stop")


def sample(gpu=None) -> SystemSample:
    process = ProcessStats(pid=42, cpu=180.0, threads=7, rss=300 * 1024**2, processes=1)
    return SystemSample(25.0, 4, 3 * GIB, 16 * GIB, process, gpu)


def fake_nvml(seen: list[int]) -> SimpleNamespace:
    def handle(index):
        seen.append(index)
        return index

    return SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=handle,
        nvmlDeviceGetName=lambda h: b"Test GPU",
        nvmlDeviceGetUtilizationRates=lambda h: SimpleNamespace(gpu=87),
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=30 * GIB, total=80 * GIB),
        nvmlDeviceGetComputeRunningProcesses=lambda h: [
            SimpleNamespace(pid=42, usedGpuMemory=12 * GIB),
            SimpleNamespace(pid=7, usedGpuMemory=GIB),
        ],
    )


def test_a_cuda_run_shows_the_gpus_load_and_memory_through_nvml(monkeypatch):
    seen: list[int] = []
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(seen))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    reading = GpuStats().read("cuda:1", 42)
    assert seen == [5]  # torch's cuda:1 is the machine's GPU 5
    text = render_sample(sample(reading), True, None).plain
    assert "GPU 1" in text and "87% busy" in text
    assert "30.0 GiB / 80.0 GiB · trainer 12.0 GiB · Test GPU" in text
    assert "180% CPU · 7 process threads · RSS 300.0 MiB" in text
    assert GpuStats().read("cpu", 42) is None


def test_without_nvml_a_cuda_run_shows_torchs_figures_and_how_to_get_more(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    reading = GpuStats().read("cuda", 42)
    assert reading is not None and reading.util is None and reading.note == NO_NVML
    step = {"mem_kind": "cuda", "mem_allocated": GIB, "mem_reserved": 2 * GIB}
    text = render_sample(sample(reading), True, step).plain
    assert "torch allocated 1.0 GiB / reserved 2.0 GiB" in text
    assert "pip install 'tofy[gpu]'" in text


def test_a_replayed_run_says_no_trainer_is_measured():
    finished = SystemSample(10.0, 2, GIB, 8 * GIB, None, None)
    text = render_sample(finished, False, None).plain
    assert "the run is not training" in text and "10% CPU of 2 cores" in text
