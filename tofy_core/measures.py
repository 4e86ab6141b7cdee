"""What the trainer measures for its events, besides speed (rates.py): the loss parts averaged
over a log window, the memory in use, held-out retrieval, and the collapse watch.

Each is a function of the model and the device only, so the trainer's loop stays a list of
named steps and a benchmark can score a model the way training does."""

from __future__ import annotations

import os
from typing import Any

import torch

from tofy_core.data.masking import MaskedBatch
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.model import LatentModel

LOSS_PARTS = ("loss", "mse", "ce", "align", "accuracy")


class LossWindow:
    """Sums of the loss parts since the last log step, kept on the device (no sync per step)."""

    def __init__(self, started: float, device: torch.device) -> None:
        self.started = started
        self.steps = 0
        self.sums = torch.zeros(len(LOSS_PARTS), device=device)

    def add(self, parts) -> None:
        self.steps += 1
        self.sums += torch.stack(
            [
                parts.total.detach().float(),
                parts.mse.float(),
                parts.ce.float(),
                parts.align.float(),
                parts.accuracy.float(),
            ]
        )

    def averages(self) -> dict[str, float]:
        values = (self.sums / max(self.steps, 1)).tolist()
        return dict(zip(LOSS_PARTS, values, strict=True))


def memory_reading(device: torch.device) -> dict[str, Any]:
    """CUDA allocated/reserved/peak bytes on a GPU, the process's RSS on the CPU."""
    if device.type == "cuda":
        return {
            "mem_kind": "cuda",
            "mem_allocated": torch.cuda.memory_allocated(device),
            "mem_reserved": torch.cuda.memory_reserved(device),
            "mem_peak": torch.cuda.max_memory_allocated(device),
        }
    import psutil

    return {"mem_kind": "rss", "mem_rss": psutil.Process(os.getpid()).memory_info().rss}


@torch.no_grad()
def collapse_score(model: LatentModel, ids: torch.Tensor) -> float:
    """Mean pairwise cosine of the target rows `ids`: near 1 means the table collapsed."""
    table = model.teacher_embed
    rows = torch.nn.functional.normalize(table[ids.to(table.device)].float(), dim=-1)
    n = rows.shape[0]
    if n < 2:
        return 0.0
    total = (rows @ rows.T).sum() - n
    return float(total / (n * (n - 1)))


@torch.no_grad()
def retrieval_scores(
    model: LatentModel, batches: list[MaskedBatch], device: torch.device
) -> dict[str, float] | None:
    """Retrieval of each masked word among all real words, by cosine: top-1, top-10, mean
    rank over `count` words, and `oov`.

    A masked word outside the vocabulary (`<unk>`: held-out text may hold words training
    never saw) cannot be retrieved by any model of this vocabulary, so it is left out of
    top-1/top-10/mean rank and reported as `oov`. None when there is nothing to score."""
    if not batches:
        return None
    model.eval()
    table = model.unit_targets().float()
    ranks = []
    oov = 0
    for batch in batches:
        batch = batch.to(device)
        _, predicted = model.predict(batch.inputs, batch.key_padding, batch.masked, batch.selection)
        known = batch.targets >= FIRST_WORD_ID
        oov += int((~known).sum())
        sims = torch.nn.functional.normalize(predicted[known].float(), dim=-1) @ table.T
        target = sims.gather(1, (batch.targets[known] - FIRST_WORD_ID).unsqueeze(1))
        ranks.append((sims > target).sum(dim=1) + 1)
    model.train()
    rank = torch.cat(ranks).float()
    if not rank.numel():
        return None
    return {
        "top1": float((rank <= 1).float().mean()),
        "top10": float((rank <= 10).float().mean()),
        "mean_rank": float(rank.mean()),
        "count": int(rank.numel()),
        "oov": oov,
        "words": int(table.shape[0]),
    }
