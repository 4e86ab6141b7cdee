"""The AdamW Tofy trains with, in one place: the model (`LatentModel.configure_optimizer`) and
the benchmarks' reference and MLM twin build it here, so a comparison never differs by an
optimizer setting (same groups, same kernels, same betas)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

BETAS = (0.9, 0.999)


def decay_groups(params: Iterable[torch.nn.Parameter], weight_decay: float) -> list[dict[str, Any]]:
    """Two parameter groups: weight decay on matrices (≥2-D: embeddings, projections), none on
    vectors (biases, norm gains), whose decay only pulls them toward zero for no gain.
    Parameters that take no gradient are left out."""
    trained = [p for p in params if p.requires_grad]
    return [
        {"params": [p for p in trained if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trained if p.dim() < 2], "weight_decay": 0.0},
    ]


def adamw(groups: list[dict[str, Any]], lr: float) -> torch.optim.AdamW:
    """AdamW over `groups` with fused kernels where the build has them, else the multi-tensor
    loop: torch's default on the CPU is the per-tensor loop, slower for no gain."""
    try:
        return torch.optim.AdamW(groups, lr=lr, betas=BETAS, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=lr, betas=BETAS, foreach=True)
