"""What the trainer measures for its events, besides speed (rates.py): the loss parts averaged
over a log window, the memory in use, held-out retrieval, and the collapse watch.

Each is a function of the model and the device only, so the trainer's loop stays a list of
named steps and a benchmark can score a model the way training does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from tofy_core.data.masking import MaskedBatch
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.model.latent import LatentModel
from tofy_core.runs.event_schema import LOSS_PARTS

BELOW_UNIGRAM_AFTER = 0.3  # share of the run after which a model below word counts is flagged


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
def retrieval_ranks(
    model: LatentModel, batches: list[MaskedBatch], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The rank of each in-vocabulary masked word among all real words by the model's score
    (`LatentModel.word_scores`: the cosine, plus the word prior when the model has one), the
    word index of each (0 = first real word), and how many targets were `<unk>`.

    A masked word outside the vocabulary (`<unk>`: held-out text may hold words training
    never saw) cannot be retrieved by any model of this vocabulary: it is counted, not ranked.
    A rank is 1 + the number of words scored strictly higher."""
    was_training = model.training
    model.eval()
    table = model.unit_targets().float()
    ranks, targets = [], []
    oov = 0
    for batch in batches:
        batch = batch.to(device)
        _, predicted = model.predict(batch.inputs, batch.key_padding, batch.masked, batch.selection)
        known = batch.targets >= FIRST_WORD_ID
        oov += int((~known).sum())
        scores = model.word_scores(predicted[known].float(), table)
        words = batch.targets[known] - FIRST_WORD_ID
        ranks.append((scores > scores.gather(1, words.unsqueeze(1))).sum(dim=1) + 1)
        targets.append(words)
    model.train(was_training)
    if not ranks:
        return torch.zeros(0), torch.zeros(0, dtype=torch.long), oov
    return torch.cat(ranks).float().cpu(), torch.cat(targets).cpu(), oov


def rank_summary(ranks: torch.Tensor) -> dict[str, float]:
    """top-1, top-10, mean and median rank of `ranks` (not empty)."""
    return {
        "top1": float((ranks <= 1).float().mean()),
        "top10": float((ranks <= 10).float().mean()),
        "mean_rank": float(ranks.mean()),
        "median_rank": float(ranks.median()),
        "count": int(ranks.numel()),
    }


def retrieval_scores(
    model: LatentModel, batches: list[MaskedBatch], device: torch.device
) -> dict[str, float] | None:
    """Held-out retrieval (`retrieval_ranks`) summed up: top-1, top-10, mean and median rank
    over `count` words, `oov`, and `words` ranked among. None when there is nothing to score."""
    if not batches:
        return None
    ranks, _, oov = retrieval_ranks(model, batches, device)
    if not ranks.numel():
        return None
    words = model.teacher_embed.shape[0] - FIRST_WORD_ID
    return {**rank_summary(ranks), "oov": oov, "words": int(words)}


def unigram_ranks(counts: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The rank of each target word (word index) when words are ordered by `counts` alone:
    what knowing nothing but word frequency scores. Same rank rule as the model's."""
    counts = counts.float().cpu()
    target = counts[targets.cpu()]
    return ((counts.unsqueeze(0) > target.unsqueeze(1)).sum(dim=1) + 1).float()


def word_counts(table, vocab_size: int) -> torch.Tensor:
    """How often each real word (specials excluded) occurs in `table` (the training split):
    the word prior's start and the unigram baseline's order."""
    return table.word_counts(vocab_size)


def unigram_top10(counts: torch.Tensor, batches: list[MaskedBatch]) -> float | None:
    """The held-out top-10 of ranking by `counts` alone (the training split's word counts)
    on the in-vocabulary targets of `batches`: the floor a model has to clear."""
    targets = [b.targets[b.targets >= FIRST_WORD_ID] - FIRST_WORD_ID for b in batches]
    words = torch.cat(targets) if targets else torch.zeros(0, dtype=torch.long)
    if not words.numel():
        return None
    return float((unigram_ranks(counts, words) <= 10).float().mean())


@dataclass
class BaselineWatch:
    """Word counts' own held-out top-10, and the one warning a run gets when, past
    `BELOW_UNIGRAM_AFTER` of its steps, the model still scores below it: a model that knows
    less than word counts is not learning from the context, and the user should know early."""

    unigram_top10: float | None
    warned: bool = False

    @classmethod
    def of(cls, counts: torch.Tensor, batches: list[MaskedBatch]) -> BaselineWatch:
        return cls(unigram_top10(counts, batches))

    def check(self, step: int, steps: int, top10: float) -> str | None:
        """The warning's text the first time it applies, else None."""
        if self.warned or self.unigram_top10 is None or step < BELOW_UNIGRAM_AFTER * steps:
            return None
        if top10 >= self.unigram_top10:
            return None
        self.warned = True
        return (
            f"held-out top-10 {top10:.1%} is below word counts alone ({self.unigram_top10:.1%}) "
            f"after {step:,} of {steps:,} steps: the model is not learning from the context; "
            "try more steps, a lower lr, or the default recipe"
        )
