"""Does the model learn? Held-out retrieval of the masked word after a fixed step budget,
against a unigram-frequency baseline and an MLM twin trained for the same steps.

- Tofy: the default configuration (`tofy train` with no options but `--steps`) on the default
  corpus, trained by the real `Trainer` (evaluations and checkpoints included). Retrieval
  ranks the true word among all real words by the cosine between the prediction and the
  teacher's embedding rows: the rank `tofy diff` shows.
- MLM twin: the same `Encoder` (same size, same initialisation seed), a Linear(dim, vocab)
  decoder with cross-entropy at the masked positions (the generative objective), the same
  batches and masking (same sampler seed), AdamW with the same groups, learning-rate schedule
  and clipping, for the same number of steps. Retrieval ranks the true word in its softmax.
- Unigram: always ranks real words by their count in the training split.

The held-out set: every real word of every held-out phrase, masked one at a time with the
phrase otherwise intact (the split `tofy train` holds out: 2% of phrases). A rank is 1 + the
number of words scored strictly higher, for all three methods.

The budget is 4,000 steps (the learning-rate schedule runs its full course in it): about
6 minutes on 2 idle cores for both models together.

    python benchmarks/quality.py             # 4,000 steps each
    python benchmarks/quality.py --quick     # 300 steps each: a smoke run
"""

from __future__ import annotations

import argparse
import time

from common import environment_line, table, use_temporary_home

DEFAULT_STEPS = 4000


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


def summarize(ranks) -> dict[str, float]:
    rank = ranks.float()
    return {
        "top1": float((rank <= 1).float().mean()),
        "top10": float((rank <= 10).float().mean()),
        "mean_rank": float(rank.mean()),
        "count": int(rank.numel()),
    }


def unigram_ranks(train_table, vocab_size: int, batches):
    """Rank of each target when words are always ordered by training frequency."""
    import torch

    from tofy_core.data.vocab import FIRST_WORD_ID

    counts = torch.bincount(train_table.ids.long().flatten(), minlength=vocab_size).float()
    words = counts[FIRST_WORD_ID:]
    ranks = []
    for batch in batches:
        target = words[batch.targets - FIRST_WORD_ID]
        ranks.append((words.unsqueeze(0) > target.unsqueeze(1)).sum(dim=1) + 1)
    return torch.cat(ranks)


def prepare_tofy(steps: int, seed: int):
    """The default configuration with `steps`, on the default corpus: a Trainer ready to fit."""
    from tofy_core import runs
    from tofy_core.config import RunConfig, TrainConfig
    from tofy_core.train import Trainer, prepare_data

    config = RunConfig(train=TrainConfig(steps=steps, seed=seed, device="cpu")).validate()
    data = prepare_data(config)
    return Trainer(runs.create_run(config, "quality-tofy"), config, data)


def train_tofy(trainer, batches, curve_every: int, curve: dict[int, float]):
    """`Trainer.fit` as `tofy train` runs it; every `curve_every` steps (at its evaluations)
    the held-out top-10 is noted. Returns the seconds spent in `fit`, those notes excluded."""
    noted = [0.0]

    def listen(record) -> None:
        if record["event"] == "eval" and curve_every and record["step"] % curve_every == 0:
            started = time.perf_counter()
            curve[record["step"]] = trainer.evaluate(batches)["top10"]
            noted[0] += time.perf_counter() - started

    trainer.listeners.append(listen)
    start = time.perf_counter()
    status = trainer.fit()
    seconds = time.perf_counter() - start - noted[0]
    if status != "finished":
        raise SystemExit(f"the Tofy run ended {status}: {trainer.run.error}")
    return seconds


def train_mlm_twin(trainer, steps: int, batches, curve_every: int, curve: dict[int, float]):
    """Same encoder, a softmax decoder over the vocabulary, same batches and schedule."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from tofy_core.data.masking import BatchSampler
    from tofy_core.model import Encoder
    from tofy_core.train import get_lr

    config, train = trainer.config.model, trainer.train
    vocab_size = len(trainer.data.vocab)
    torch.manual_seed(train.seed)
    encoder = Encoder(config)
    decoder = nn.Linear(config.dim, vocab_size)
    twin = nn.ModuleDict({"encoder": encoder, "decoder": decoder}).train()
    decay = [p for p in twin.parameters() if p.dim() >= 2]
    no_decay = [p for p in twin.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": train.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    try:
        optimizer = torch.optim.AdamW(groups, lr=train.lr, betas=(0.9, 0.999), fused=True)
    except (RuntimeError, TypeError):
        optimizer = torch.optim.AdamW(groups, lr=train.lr, betas=(0.9, 0.999), foreach=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Held-out masked-word retrieval of Tofy's default configuration after a "
        "fixed step budget, against a unigram baseline and an MLM twin at equal steps.",
    )
    parser.add_argument(
        "--steps", type=int, default=DEFAULT_STEPS, help=f"step budget (default {DEFAULT_STEPS})"
    )
    parser.add_argument("--seed", type=int, default=0, help="init, sampling and split seed")
    parser.add_argument(
        "--curve",
        type=int,
        default=1000,
        help="also print held-out top-10 every N steps, both models (a multiple of 200; "
        "0: off; the time spent there is not counted)",
    )
    parser.add_argument("--quick", action="store_true", help="300 steps: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.curve = 300, 0
    if args.curve % 200:
        parser.error("--curve must be a multiple of 200 (the trainer's evaluation interval)")
    use_temporary_home()
    print(f"# Quality, {environment_line()}", flush=True)
    trainer = prepare_tofy(args.steps, args.seed)
    config, train = trainer.config.model, trainer.train
    batches = held_out_batches(trainer.data.eval_table)
    count = sum(int(b.targets.numel()) for b in batches)
    print(
        f"# default configuration: dim {config.dim}, layers {config.layers}, heads "
        f"{config.heads}, seq {config.max_seq}, batch {train.batch}, lr {train.lr}; default "
        f"corpus, vocab {config.vocab_size}; {args.steps} steps each, seed {args.seed}\n"
        f"# held out: {len(trainer.data.eval_table)} phrases, {count} masked words, each "
        f"ranked among {config.vocab_size - 3} words",
        flush=True,
    )
    tofy_curve: dict[int, float] = {}
    twin_curve: dict[int, float] = {}
    tofy_seconds = train_tofy(trainer, batches, args.curve, tofy_curve)
    twin, twin_seconds = train_mlm_twin(trainer, args.steps, batches, args.curve, twin_curve)
    results = {
        "unigram frequency": (
            summarize(unigram_ranks(trainer.data.train_table, config.vocab_size, batches)),
            float("nan"),
        ),
        "MLM twin (softmax decoder)": (summarize(twin_ranks(twin, batches)), twin_seconds),
        "Tofy (latent, default)": (trainer.evaluate(batches), tofy_seconds),
    }
    rows = [
        [
            name,
            f"{100 * r['top1']:.1f}%",
            f"{100 * r['top10']:.1f}%",
            f"{r['mean_rank']:.1f}",
            "—" if seconds != seconds else f"{seconds:.0f} s",
        ]
        for name, (r, seconds) in results.items()
    ]
    print()
    print(table(["method", "top-1", "top-10", "mean rank", "train time"], rows))
    tofy = results["Tofy (latent, default)"][0]["top10"]
    unigram = results["unigram frequency"][0]["top10"]
    mlm = results["MLM twin (softmax decoder)"][0]["top10"]
    print()
    print(f"Tofy top-10 / unigram top-10: {tofy / unigram:.2f}×  (target ≥ 2×)")
    print(f"Tofy top-10 / MLM twin top-10: {tofy / mlm:.2f}×  (target ≥ 0.9×)")
    if tofy_curve:
        print()
        steps = sorted(set(tofy_curve) & set(twin_curve))
        curve_rows = [
            [
                step,
                f"{100 * tofy_curve[step]:.1f}%",
                f"{100 * twin_curve[step]:.1f}%",
                f"{tofy_curve[step] / twin_curve[step]:.2f}×",
            ]
            for step in steps
        ]
        print(table(["step", "Tofy top-10", "MLM twin top-10", "ratio"], curve_rows))


if __name__ == "__main__":
    main()
