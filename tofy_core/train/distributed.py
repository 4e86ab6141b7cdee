"""The one seam for data parallelism under torchrun (nanoGPT's `if ddp:`): read torchrun's
environment, start the process group, and the few collectives the trainer needs.

Without torchrun's variables nothing here starts: `current()` is a world of one, every helper
returns its input, and single-process training is untouched."""

from __future__ import annotations

import gc
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from tofy_core.errors import TofyError
from tofy_core.train.preflight import check_device

TIMEOUT_ENV = "TOFY_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0  # long enough for rank 0's evaluation and checkpoint, short of a hang


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (a world of one without torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def active(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


_world = World()
_control = None  # the group for the trainer's small collectives (None: the default group)


def current() -> World:
    return _world


def launched() -> bool:
    """True under torchrun (or anything setting its variables) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1") or "1") > 1


def _env_int(name: str) -> int:
    raw = os.environ.get(name, "")
    if not raw.isdigit():
        raise TofyError(f"{name}={raw!r} is not a whole number: launch with torchrun")
    return int(raw)


def _timeout() -> timedelta:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise TofyError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    return timedelta(seconds=seconds)


@contextmanager
def session(device: str) -> Iterator[World]:
    """Join torchrun's process group for the block (gloo on CPU, nccl on CUDA: one GPU per
    local rank), then leave it. Collectives time out, so a rank that died or hangs ends the
    others with an error naming the rank instead of a silent wait."""
    global _world, _control
    if not launched():
        yield _world
        return
    rank, size, local = _env_int("RANK"), _env_int("WORLD_SIZE"), _env_int("LOCAL_RANK")
    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    backend = "nccl" if cuda else "gloo"
    if cuda:
        if local >= torch.cuda.device_count():
            raise TofyError(
                f"process {rank} wants GPU {local} but this machine has "
                f"{torch.cuda.device_count()}: use --nproc-per-node at most that many"
            )
        torch.cuda.set_device(local)
    try:
        dist.init_process_group(backend, rank=rank, world_size=size, timeout=_timeout())
    except (RuntimeError, ValueError) as exc:
        raise TofyError(f"process {rank} could not join the other {size - 1}: {exc}") from None
    _world = World(rank, size, local, backend)
    # counts, stop flags and RNG states go over gloo (CPU) even beside nccl: reading them
    # back never waits for the GPU's queued work
    _control = dist.new_group(backend="gloo") if backend == "nccl" else None
    try:
        yield _world
    finally:
        _world, _control = World(), None
        gc.collect()  # DDP wrappers in reference cycles go before their group does
        dist.destroy_process_group()


def pick_device(name: str) -> torch.device:
    """The device to train on; under torchrun each process of a machine takes its own GPU."""
    check_device(name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and _world.active:
        return torch.device("cuda", _world.local_rank)
    return device


def all_reduce_sum(values: list[float]) -> list[float]:
    """Sum each value over all ranks (float64: exact for token counts up to 2^53)."""
    if not _world.active:
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    _checked(dist.all_reduce, tensor, group=_control)
    return tensor.tolist()


def count_all_ranks(meter, counted: tuple[int, int], bad: bool) -> tuple[tuple[int, int], bool]:
    """Add the other ranks' tokens since the last count (`counted`: the all-rank totals then)
    to `meter`, so tokens/s counts every process; the new totals, and whether the loss was
    not finite on some rank."""
    tokens, real = counted
    sums = all_reduce_sum([meter.tokens - tokens, meter.real_tokens - real, float(bad)])
    meter.tokens, meter.real_tokens = tokens + int(sums[0]), real + int(sums[1])
    return (meter.tokens, meter.real_tokens), sums[2] > 0


def any_rank(flag: bool) -> bool:
    """True on every rank when it is true on one (a stop request, a non-finite loss)."""
    if not _world.active:
        return flag
    return all_reduce_sum([1.0 if flag else 0.0])[0] > 0


def gather_bytes(state: torch.Tensor) -> list[torch.Tensor]:
    """Every rank's uint8 tensor of the same length, in rank order (RNG states)."""
    if not _world.active:
        return [state]
    mine = state.detach().cpu()
    parts = [torch.empty_like(mine) for _ in range(_world.size)]
    _checked(dist.all_gather, parts, mine, group=_control)
    return parts


def broadcast_text(text: str, limit: int = 512) -> str:
    """Rank 0's string on every rank (the run id rank 0 chose)."""
    if not _world.active:
        return text
    raw = text.encode("utf-8")[:limit]
    buffer = torch.zeros(limit, dtype=torch.uint8)
    if raw:
        buffer[: len(raw)] = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    size = torch.tensor([len(raw)], dtype=torch.int64)
    _checked(dist.broadcast, size, 0, group=_control)
    _checked(dist.broadcast, buffer, 0, group=_control)
    return bytes(buffer[: int(size.item())].tolist()).decode("utf-8")


def barrier() -> None:
    if _world.active:
        _checked(dist.barrier, group=_control)


def _checked(op, *args, **kwargs) -> None:
    """Run a collective; a timeout or a lost peer becomes one clear error for this rank."""
    try:
        op(*args, **kwargs)
    except RuntimeError as exc:
        raise (lost_peer(exc) or exc) from None


def lost_peer(exc: BaseException) -> TofyError | None:
    """A collective that failed because another process died, was stopped or stopped
    answering (gloo/nccl errors, timeouts), as one clear error; None for anything else."""
    if not _world.active or not isinstance(exc, RuntimeError):
        return None
    text = str(exc).strip()
    backend = isinstance(exc, dist.DistBackendError) or any(
        word in text for word in ("gloo", "NCCL", "Connection closed", "Timed out", "timed out")
    )
    if not backend:
        return None
    first = text.splitlines()[0][:160] if text else type(exc).__name__
    return TofyError(
        f"process {_world.rank} lost another training process, which failed, was stopped or "
        f"stopped answering (its own output says why): {first}"
    )


class _Loss(torch.nn.Module):
    """The model's loss as `forward`, which DDP wraps (it hooks gradients through forward)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *args):
        return self.model.loss(*args)


def data_parallel(model):
    """`model.loss`, or under torchrun the same loss through DistributedDataParallel, which
    averages gradients over ranks during backward. Buffers are not re-broadcast: the teacher
    table is updated from identical weights on every rank, so it stays identical (tested)."""
    if not _world.active:
        return model.loss
    from torch.nn.parallel import DistributedDataParallel

    with warnings.catch_warnings():  # newer torch renames the flag; this one still means it
        warnings.simplefilter("ignore", FutureWarning)
        return DistributedDataParallel(_Loss(model), broadcast_buffers=False)


RANK_KEY = ".rank"


def gather_states(states: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """All ranks' RNG states for rank 0 to save: its own under their names (a single-process
    run's layout), rank r's as `name.rank<r>`."""
    if not _world.active:
        return states
    merged = dict(states)
    for key, value in states.items():
        for rank, part in enumerate(gather_bytes(value)[1:], start=1):
            merged[f"{key}{RANK_KEY}{rank}"] = part
    return merged


def saved_processes(states: dict[str, torch.Tensor]) -> int:
    """How many processes wrote a checkpoint's RNG states (1 for a single-process run)."""
    ranks = [int(k.rsplit(RANK_KEY, 1)[1]) for k in states if RANK_KEY in k]
    return max(ranks, default=0) + 1


def states_for_rank(states: dict[str, torch.Tensor], world: World, run_id: str):
    """This rank's saved RNG states. With another number of processes than the checkpoint's,
    ranks beyond the saved ones start fresh streams (seed + rank), so the data order differs
    from what an unchanged run would have seen; rank 0 says so."""
    saved = saved_processes(states)
    if saved != world.size and world.is_main:
        print(
            f"run {run_id} was saved by {saved} training process{'es' * (saved > 1)} and "
            f"resumes with {world.size}: the weights, optimizer and schedules continue exactly, "
            "the order of the training data changes",
            file=sys.stderr,
            flush=True,
        )
    if world.rank == 0:
        return {k: v for k, v in states.items() if RANK_KEY not in k}
    suffix = f"{RANK_KEY}{world.rank}"
    return {k[: -len(suffix)]: v for k, v in states.items() if k.endswith(suffix)}
