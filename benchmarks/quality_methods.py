"""The quality benchmark's methods besides Tofy itself: the held-out set (every in-vocabulary
word of every held-out phrase, masked one at a time), the unigram baseline, the MLM twin
(same encoder, a softmax decoder, same batches and schedule), and rank summaries."""

from __future__ import annotations

import time


def held_out_batches(eval_table, batch: int = 64):
    """One row per (held-out phrase, real word): the word masked, the rest intact."""
    import torch

    from tofy_core.data.masking import MaskedBatch
    from tofy_core.data.vocab import FIRST_WORD_ID, MASK_ID, PAD_ID

    ids, lengths = eval_table.ids.long(), eval_table.lengths
    rows, positions = [], []
    for row in range(len(eval_table)):
        for position in range(int(lengths[row])):
            if int(ids[row, position]) >= FIRST_WORD_ID:
                rows.append(row)
                positions.append(position)
    rows_t, positions_t = torch.tensor(rows), torch.tensor(positions)
    batches = []
    for start in range(0, len(rows), batch):
        pick = rows_t[start : start + batch]
        where = positions_t[start : start + batch]
        width = int(lengths[pick].max())
        original = ids[pick, :width]
        masked = torch.zeros_like(original, dtype=torch.bool)
        masked[torch.arange(len(pick)), where] = True
        inputs = original.masked_fill(masked, MASK_ID)
        batches.append(MaskedBatch(inputs, original != PAD_ID, masked, original[masked]))
    return batches


# Frequency bands by share of the training tokens: the most frequent words that make up the
# first half of them, the words that make up the next 40%, and the rest (the last 10%).
BANDS = (("frequent", 0.5), ("middle", 0.9), ("rare", 1.0))


def word_bands(counts) -> dict[str, object]:
    """Which band each real word falls in (a boolean (words,) tensor per band), from its
    count in the training split: bands by cumulative share of tokens, most frequent first."""
    import torch

    order = torch.argsort(counts, descending=True, stable=True)
    share = counts[order].double().cumsum(0) / max(float(counts.sum()), 1.0)
    before = torch.cat([share.new_zeros(1), share[:-1]])  # the share before each word
    bands, low = {}, 0.0
    for name, high in BANDS:
        member = torch.zeros_like(counts, dtype=torch.bool)
        member[order[(before >= low) & (before < high)]] = True
        bands[name] = member
        low = high
    return bands


def summarize(ranks, targets=None, bands=None) -> dict[str, float]:
    """`rank_summary` (top-1, top-10, mean and median rank); with `targets` (word index of
    each rank) and `bands` (`word_bands`), the top-10 and count of each band too."""
    from tofy_core.train.measures import rank_summary

    ranks = ranks.float()
    result = rank_summary(ranks)
    for name, member in (bands or {}).items():
        chosen = member[targets]
        result[f"{name}_count"] = int(chosen.sum())
        hit = (ranks[chosen] <= 10).float()
        result[f"{name}_top10"] = float(hit.mean()) if hit.numel() else float("nan")
    return result


def held_out_targets(batches):
    """The word index (0 = first real word) of every held-out target, in batch order."""
    import torch

    from tofy_core.data.vocab import FIRST_WORD_ID

    return torch.cat([b.targets for b in batches]) - FIRST_WORD_ID


def unigram_ranks(train_table, vocab_size: int, batches):
    """Rank of each target when words are always ordered by training frequency."""
    from tofy_core.train.measures import unigram_ranks as ranks_by_counts
    from tofy_core.train.measures import word_counts

    return ranks_by_counts(word_counts(train_table, vocab_size), held_out_targets(batches))


def train_mlm_twin(trainer, steps: int, batches, curve_every: int, curve: dict[int, float]):
    """Same encoder, a softmax decoder over the vocabulary, same batches and schedule."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from tofy_core.data.masking import BatchSampler
    from tofy_core.model.encoder import Encoder
    from tofy_core.model.optim import adamw, decay_groups
    from tofy_core.train.schedule import get_lr

    config, train = trainer.config.model, trainer.train
    vocab_size = len(trainer.data.vocab)
    torch.manual_seed(train.seed)
    encoder = Encoder(config)
    decoder = nn.Linear(config.dim, vocab_size)
    twin = nn.ModuleDict({"encoder": encoder, "decoder": decoder}).train()
    optimizer = adamw(decay_groups(twin.parameters(), train.weight_decay), train.lr)
    sampler = BatchSampler(trainer.data.train_table, vocab_size, train.seed)
    noted = 0.0
    start = time.perf_counter()
    for step in range(steps):
        batch = sampler.sample(train.batch, train.mask_rate, train.masks_per_seq)
        hidden = encoder(batch.inputs, batch.key_padding, batch.selection)
        loss = F.cross_entropy(decoder(hidden), batch.targets)
        for group in optimizer.param_groups:
            group["lr"] = get_lr(step, train)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), train.grad_clip)
        optimizer.step()
        if curve_every and (step + 1) % curve_every == 0:
            started = time.perf_counter()
            curve[step + 1] = summarize(twin_ranks(twin.eval(), batches))["top10"]
            twin.train()
            noted += time.perf_counter() - started
    return twin.eval(), time.perf_counter() - start - noted


def twin_ranks(twin, batches):
    import torch

    from tofy_core.data.vocab import FIRST_WORD_ID

    ranks = []
    with torch.no_grad():
        for batch in batches:
            hidden = twin["encoder"](batch.inputs, batch.key_padding, batch.selection)
            logits = twin["decoder"](hidden)[:, FIRST_WORD_ID:]
            target = logits.gather(1, (batch.targets - FIRST_WORD_ID).unsqueeze(1))
            ranks.append((logits > target).sum(dim=1) + 1)
    return torch.cat(ranks)
