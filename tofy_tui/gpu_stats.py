"""GPU utilisation and memory of a CUDA run's device through NVML (`pynvml`, from the optional
`nvidia-ml-py`: `pip install 'tofy[gpu]'`), imported and initialised on first use, in the
system panel's worker thread. Without NVML the reading says why, and the panel falls back to
the allocated/reserved memory the trainer reports in its step events."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any

NO_NVML = "GPU load needs nvidia-ml-py (pip install 'tofy[gpu]')"


@dataclass(frozen=True)
class GpuReading:
    """One device's figures; `note` says why some are missing."""

    index: int
    name: str = ""
    util: float | None = None  # % of the last sample period the GPU was busy
    used: int | None = None  # bytes in use on the device, every process together
    total: int | None = None
    trainer_used: int | None = None  # bytes the trainer's process holds
    note: str = ""


def device_index(device: str) -> int:
    """`cuda:1` → 1; `cuda` → 0."""
    _, _, number = device.partition(":")
    return int(number) if number.isdigit() else 0


def physical(index: int) -> str:
    """The device NVML knows as torch's `index`: CUDA_VISIBLE_DEVICES renumbers them (an
    entry is a number or a UUID); the trainer inherits this process's environment."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    visible = [v for v in visible if v]
    return visible[index] if index < len(visible) else str(index)


class GpuStats:
    """Opens NVML once; an absent library or driver is remembered, not retried every second."""

    def __init__(self) -> None:
        self._nvml: ModuleType | None = None
        self._problem = ""

    def read(self, device: str, pid: int | None) -> GpuReading | None:
        if not device.startswith("cuda"):
            return None
        index = device_index(device)
        nvml = self._open()
        if nvml is None:
            return GpuReading(index, note=self._problem)
        try:
            handle = _handle(nvml, physical(index))
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            return GpuReading(
                index,
                name=_text(nvml.nvmlDeviceGetName(handle)),
                util=float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                used=int(memory.used),
                total=int(memory.total),
                trainer_used=_trainer_memory(nvml, handle, pid),
            )
        except Exception as exc:  # NVMLError and its many subclasses, or a bad handle
            return GpuReading(index, note=f"NVML could not read GPU {index}: {exc}")

    def _open(self) -> ModuleType | None:
        if self._nvml is not None or self._problem:
            return self._nvml
        try:
            import pynvml
        except ImportError:
            self._problem = NO_NVML
            return None
        try:
            pynvml.nvmlInit()
        except Exception as exc:  # no driver, or no GPU on this machine
            self._problem = f"NVML is not available: {exc}"
            return None
        self._nvml = pynvml
        return pynvml


def _handle(nvml: Any, device: str) -> Any:
    if device.isdigit():
        return nvml.nvmlDeviceGetHandleByIndex(int(device))
    return nvml.nvmlDeviceGetHandleByUUID(device)


def _trainer_memory(nvml: Any, handle: Any, pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        found = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
    except Exception:  # not supported on every driver / GPU
        return None
    used = [p.usedGpuMemory for p in found if p.pid == pid and p.usedGpuMemory is not None]
    return int(sum(used)) if used else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
