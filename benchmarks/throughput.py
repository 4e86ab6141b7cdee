"""Training throughput of Tofy's real step against a Hugging Face BERT reference, side by side.

One process, warm-up first, then several rounds; in each round every contestant runs the same
number of steps, in an order that rotates from round to round, and the fp32 matmul peak is
measured in the same round. Ratios are taken within a round, then the median over rounds:
a noisy machine slows both sides of a ratio alike.

- Tofy: `Trainer.run_steps`, the loop `tofy train` runs (make_batch: sampling + masking;
  forward_loss; optimizer_step: backward, clipping, AdamW; ema_update; a `step` event every
  `log_every` = 10 steps), with evaluation pushed past the measured steps and no checkpoints
  (`save=False`). A subclass times each named step: that gives the share of a step spent
  outside forward/backward/optimizer.
- Reference: `transformers.BertModel` (sdpa attention, dropout 0, no pooler) of the same
  dim/layers/heads/seq/vocab, a Linear(dim, dim) head at 15% of positions, MSE against the
  (detached) embedding row of the masked word, and the same AdamW Tofy builds (fused kernels,
  weight decay on matrices only; torch's CPU default would be the slower per-tensor loop).
  It reads the same pre-tokenized rows. A second reference keeps BERT's default dropout 0.1
  (what `BertConfig` gives as is), on the synthetic data only, for scale: targets are
  compared against the dropout-free reference only.

The two sides do not do the same work per token. Tofy's last block computes keys and values
at every position but queries, attention output and the feed-forward layer only at the masked
positions (~15%), because its loss reads only those; the reference runs every layer at every
position. Tokens/s says how fast each trains on the same tokens, not who does the same
arithmetic faster. Tofy also clips gradients and updates its EMA table; the reference does not.

Two data sets: a synthetic corpus whose lines fill max_seq (both sides process batch × max_seq
tokens: the headline), and a real corpus (`--data`, default the embedded one: short phrases;
batches are trimmed to their longest phrase, the same rows for both sides). Real tokens/s
counts non-pad tokens, the same way for both sides (the non-pad positions of the rows each
step read); tokens/s with padding is shown beside it.

Executed GFLOP/s counts the FLOPs each side actually performs (see `step_flops`): Tofy performs
fewer per token, so this column shows how busy each side keeps the cores, not which is faster,
and its share of a 2048² matmul (a best case) is not evidence that either side is efficient.

    python benchmarks/throughput.py            # ~3 minutes on 2 idle cores
    python benchmarks/throughput.py --quick    # a smoke run
    python benchmarks/throughput.py --threads 1 --clock cpu   # on a busy machine
    python benchmarks/throughput.py --data chats.txt          # another corpus beside synthetic
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections import defaultdict
from dataclasses import dataclass, field

from common import (
    SEED_SIZE,
    environment_line,
    matmul_gflops,
    median,
    model_config,
    require_transformers,
    synthetic_corpus,
    table,
    use_temporary_home,
)

FORWARD_BACKWARD_OPTIMIZER = ("forward_loss", "optimizer_step")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


@dataclass
class Measure:
    """What one contestant did in one round."""

    seconds: float = 0.0
    tokens: int = 0  # positions computed, padding included
    real_tokens: int = 0  # non-pad positions: what the text amounts to
    flops: float = 0.0
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def real_tokens_per_s(self) -> float:
        return self.real_tokens / self.seconds

    @property
    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9


def real_tokens(nonpad) -> int:
    """Non-pad positions of a step's rows (a bool tensor, True at real tokens): counted the
    same way for both sides."""
    return int(nonpad.sum())


def tofy_adamw(module, lr: float = 3e-4, weight_decay: float = 0.01):
    """The AdamW Tofy builds (`LatentModel.configure_optimizer`): weight decay on matrices
    only, fused kernels where the build has them, else the multi-tensor loop. torch's default
    on CPU is the per-tensor loop, which would slow the reference for no reason."""
    import torch

    decay = [p for p in module.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in module.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    try:
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), foreach=True)


def attention_flops(layers: int, batch: int, queries: int, keys: int, dim: int) -> float:
    """QKᵀ and AV: 4·B·Lq·Lk·d forward, twice that backward."""
    return 12 * layers * batch * queries * keys * dim


# --- Tofy: the trainer's own loop ---------------------------------------------------------


class TofyContestant:
    """The real Trainer with its named steps timed (`timed_trainer`); `run(n)` runs n steps of
    its loop through `Trainer.run_steps`, without checkpoints."""

    def __init__(self, data_path: str, size: dict[str, int], clock) -> None:
        from tofy_core import runs
        from tofy_core.config import RunConfig, TrainConfig
        from tofy_core.data.split import prepare_data

        far = 10**9
        model = model_config(size)
        train = TrainConfig(
            data=data_path, steps=far, batch=size["batch"], device="cpu", eval_every=far
        )
        config = RunConfig(model, train).validate()
        self.clock = clock
        self.data = prepare_data(config)
        self.measure = Measure()
        self.trainer = timed_trainer(self)(runs.create_run(config), config, self.data)
        self.model_config = config.model
        self.vocab_size = len(self.data.vocab)

    def timed(self, name: str, step, *args):
        """`step(*args)`, its time added to this round's share for `name`."""
        start = self.clock()
        value = step(*args)
        self.measure.parts[name] += self.clock() - start
        return value

    def step_flops(self, batch: int, length: int, masked: int, widest: int) -> float:
        """What Tofy's step computes: all blocks but the last at every position; the last
        block's keys/values at every position, its queries, output and FFN at the masked
        positions only (`widest` per row, padded); the predictor at masked positions; and
        every prediction scored against every real word (forward, and the gradient to the
        prediction: the target table gets none)."""
        c = self.model_config
        d, tokens = c.dim, batch * length
        block = 12 * d * d + 13 * d
        kv = 2 * d * d + 2 * d
        queried = batch * widest
        dense = 6 * (c.layers - 1) * block * tokens + 6 * kv * tokens
        dense += 6 * (block - kv) * queried + 6 * 2 * (d * d + d) * masked
        attention = attention_flops(c.layers - 1, batch, length, length, d)
        attention += attention_flops(1, batch, widest, length, d)
        scoring = 4 * masked * (self.vocab_size - 3) * d
        return dense + attention + scoring

    def count(self, batch) -> None:
        size, length = batch.inputs.shape
        widest = batch.selection.index.shape[1]
        self.measure.tokens += batch.tokens
        self.measure.real_tokens += real_tokens(batch.padding)
        self.measure.flops += self.step_flops(size, length, batch.targets.numel(), widest)

    def run(self, steps: int) -> Measure:
        self.measure = Measure()
        start = self.clock()
        healthy = self.trainer.run_steps(steps, save=False)
        self.measure.seconds = self.clock() - start
        if not healthy:
            raise RuntimeError("the Tofy loss went non-finite during the benchmark")
        return self.measure


def timed_trainer(contestant: TofyContestant):
    """A `Trainer` subclass whose named steps report their time to `contestant`, and
    `make_batch` its batch (for the token and FLOP counts)."""
    from tofy_core.train import Trainer

    class TimedTrainer(Trainer):
        def make_batch(self):
            batch = contestant.timed("make_batch", super().make_batch)
            contestant.count(batch)
            return batch

        def forward_loss(self, batch):
            return contestant.timed("forward_loss", super().forward_loss, batch)

        def optimizer_step(self, loss) -> None:
            contestant.timed("optimizer_step", super().optimizer_step, loss)

        def ema_update(self) -> None:
            contestant.timed("ema_update", super().ema_update)

        def maybe_log(self, window, started: float) -> bool:
            return contestant.timed("maybe_log", super().maybe_log, window, started)

    return TimedTrainer


# --- the reference: what a user would write with transformers -----------------------------


class ReferenceContestant:
    """BertModel + Linear head + MSE at 15% of positions + Tofy's AdamW, on the same rows."""

    def __init__(
        self,
        table,
        vocab_size: int,
        size: dict[str, int],
        clock,
        dropout: float = 0.0,
        seed: int = 0,
    ):
        import torch
        from torch import nn

        require_transformers()
        from transformers import BertConfig, BertModel

        torch.manual_seed(seed)
        config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=size["dim"],
            num_hidden_layers=size["layers"],
            num_attention_heads=size["heads"],
            intermediate_size=4 * size["dim"],
            max_position_embeddings=size["max_seq"],
            hidden_dropout_prob=dropout,
            attention_probs_dropout_prob=dropout,
            attn_implementation="sdpa",
        )
        self.model = BertModel(config, add_pooling_layer=False).train()
        self.head = nn.Linear(size["dim"], size["dim"])
        params = list(self.model.parameters()) + list(self.head.parameters())
        self.optimizer = tofy_adamw(nn.ModuleList([self.model, self.head]))
        self.table = table
        self.batch = size["batch"]
        self.generator = torch.Generator().manual_seed(seed)
        self.dim, self.layers = size["dim"], size["layers"]
        self.clock = clock
        embed = sum(p.numel() for p in self.model.embeddings.parameters())
        self.head_params = sum(p.numel() for p in self.head.parameters())
        self.non_embedding = sum(p.numel() for p in params) - embed
        # the embedding LayerNorm runs at every position too: count it with the blocks
        self.block_params = self.non_embedding - self.head_params + 2 * self.dim

    def step(self, measure: Measure) -> None:
        import torch
        import torch.nn.functional as F

        start = self.clock()
        indices = torch.randint(0, len(self.table), (self.batch,), generator=self.generator)
        rows = self.table.rows(indices)
        attention = rows != 0
        masked = (torch.rand(rows.shape, generator=self.generator) < 0.15) & attention
        inputs = rows.masked_fill(masked, 2)
        made = self.clock()
        hidden = self.model(input_ids=inputs, attention_mask=attention).last_hidden_state
        predicted = self.head(hidden[masked])
        target = self.model.embeddings.word_embeddings.weight[rows[masked]].detach()
        loss = F.mse_loss(predicted, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        done = self.clock()
        measure.parts["make_batch"] += made - start
        measure.parts["forward_backward_optimizer"] += done - made
        size, length = rows.shape
        count = int(masked.sum())
        measure.tokens += rows.numel()
        measure.real_tokens += real_tokens(attention)
        measure.flops += 6 * self.block_params * rows.numel() + 6 * self.head_params * count
        measure.flops += attention_flops(self.layers, size, length, length, self.dim)

    def run(self, steps: int) -> Measure:
        measure = Measure()
        start = self.clock()
        for _ in range(steps):
            self.step(measure)
        measure.seconds = self.clock() - start
        return measure


# --- the benchmark ------------------------------------------------------------------------

SYNTHETIC, SYNTHETIC_REF = "Tofy, synthetic (full rows)", "reference, synthetic"
PLAIN_REF = "reference with BERT's dropout 0.1, synthetic"
TARGET = 1.15  # Tofy's real tokens/s over the dropout-free reference's
NOTES = (
    "Tofy does less work per token than the reference: its last block computes queries, "
    "attention output and the feed-forward layer at the masked positions only (keys and "
    "values at every position), where the reference runs every layer at every position. "
    "Tokens/s compares how fast each trains on the same tokens, not the same arithmetic.\n"
    "Ratios are of real (non-pad) tokens/s, counted the same way for both sides, within a "
    "round, against the dropout-free reference; the dropout 0.1 reference is there for "
    "scale only.\n"
    "Executed GFLOP/s counts the FLOPs each side performs (Tofy fewer per token): it shows "
    "how busy the cores are kept, not speed, and is not comparable between the sides; the "
    "2048² matmul is a best case that a step's smaller shapes do not reach."
)


def corpus_names(data: str) -> tuple[str, str]:
    """Row names of the real-corpus pair."""
    label = "default corpus" if not data else f"corpus {data}"
    return f"Tofy, {label}", f"reference, {label}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Tokens/s of Tofy's training step against a transformers BERT reference "
        "with the same optimizer, measured side by side, on synthetic full rows and on a "
        "real corpus.",
    )
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument(
        "--steps", type=int, default=20, help="steps per contestant per round (default 20)"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="warm-up steps per contestant (default 10)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 rounds of 10 steps after 3 warm-up steps"
    )
    parser.add_argument(
        "--data",
        default="",
        metavar="FILE|hub:ID",
        help="the real corpus of the second pair (default: the embedded corpus)",
    )
    parser.add_argument("--no-real", action="store_true", help="skip the real corpus")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads for both sides (default 0: torch's choice at start-up)",
    )
    parser.add_argument(
        "--clock",
        choices=tuple(CLOCKS),
        default="wall",
        help="wall time (default), or this process's CPU time: steadier on a busy machine "
        "with --threads 1 (with more threads it also counts spin-waiting)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.warmup = 2, 10, 3
    if args.steps % 10 or args.steps <= 0:
        parser.error("--steps must be a positive multiple of 10 (the trainer's log interval)")
    if args.rounds <= 0 or args.warmup < 0 or args.threads < 0:
        parser.error("--rounds must be positive, --warmup and --threads not negative")
    import torch

    from tofy_core.errors import TofyError

    threads = args.threads or torch.get_num_threads()
    clock = CLOCKS[args.clock]
    home = use_temporary_home(share_cache=args.data.startswith("hub:"))
    size = SEED_SIZE
    corpus = synthetic_corpus(home, words=size["max_vocab"] - 3, length=size["max_seq"], lines=4000)
    tofy = TofyContestant(str(corpus), size, clock)
    contestants = {
        SYNTHETIC: tofy,
        SYNTHETIC_REF: ReferenceContestant(tofy.data.train_table, tofy.vocab_size, size, clock),
        PLAIN_REF: ReferenceContestant(
            tofy.data.train_table, tofy.vocab_size, size, clock, dropout=0.1
        ),
    }
    pairs = [(SYNTHETIC, SYNTHETIC_REF)]
    if not args.no_real:
        real_name, real_ref = corpus_names(args.data)
        try:
            real = TofyContestant(args.data, size, clock)
        except TofyError as exc:
            sys.exit(f"throughput: {exc}")
        contestants[real_name] = real
        contestants[real_ref] = ReferenceContestant(
            real.data.train_table, real.vocab_size, size, clock
        )
        pairs.append((real_name, real_ref))
    # the trainer applies its own default thread rule when built: one count for both sides
    torch.set_num_threads(threads)
    print(f"# Throughput, {environment_line()}, {args.clock} clock")
    print(
        f"# size: dim {size['dim']}, layers {size['layers']}, heads {size['heads']}, "
        f"seq {size['max_seq']}, batch {size['batch']}, vocab {size['max_vocab']}; "
        f"{args.rounds} rounds × {args.steps} steps after {args.warmup} warm-up steps",
        flush=True,
    )
    for contestant in contestants.values():
        contestant.run(args.warmup)
    names = ["matmul", *contestants]
    results: dict[str, list] = {name: [] for name in names}
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            if name == "matmul":
                results[name].append(matmul_gflops(clock=clock))
            else:
                results[name].append(contestants[name].run(args.steps))
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    print()
    report(results, pairs, args.steps)


def round_ratios(measures: list[Measure], references: list[Measure]) -> list[float]:
    """Real tokens/s over the reference's, one ratio per round."""
    return [
        m.real_tokens_per_s / r.real_tokens_per_s for m, r in zip(measures, references, strict=True)
    ]


def report(results, pairs: list[tuple[str, str]], steps: int) -> None:
    peaks = results["matmul"]
    rows = [["fp32 matmul 2048² (best case)", "—", "—", "—", median(peaks), "100%"]]
    for tofy_name, ref_name in pairs:
        extra = [PLAIN_REF] if ref_name == SYNTHETIC_REF else []
        for name in (tofy_name, ref_name, *extra):
            measures = results[name]
            fractions = [m.gflops / p for m, p in zip(measures, peaks, strict=True)]
            rows.append(
                [
                    name,
                    median([m.tokens_per_s for m in measures]),
                    median([m.real_tokens_per_s for m in measures]),
                    f"{median(round_ratios(measures, results[ref_name])):.2f}×",
                    median([m.gflops for m in measures]),
                    f"{100 * median(fractions):.0f}%",
                ]
            )
    headers = [
        "contestant",
        "tokens/s (with pad)",
        "real tokens/s",
        "vs reference (real)",
        "executed GFLOP/s",
        "of the matmul",
    ]
    print(table(headers, rows))
    print()
    for tofy_name, ref_name in pairs:
        ratios = round_ratios(results[tofy_name], results[ref_name])
        print(f"ratio per round, {tofy_name}: " + ", ".join(f"{r:.2f}" for r in ratios))
    print()
    for tofy_name, ref_name in pairs:
        ratio = median(round_ratios(results[tofy_name], results[ref_name]))
        verdict = "met" if ratio >= TARGET else "not met"
        print(
            f"target ≥ {TARGET:.2f}× the dropout-free reference, {tofy_name}: "
            f"{ratio:.3f}× ({verdict})"
        )
    print()
    print("\n".join(textwrap.fill(note, 96) for note in NOTES.splitlines()))
    print()
    print(breakdown(results, [pair[0] for pair in pairs], steps))


def breakdown(results, names: list[str], steps: int) -> str:
    """Where a Tofy step's time goes, summed over all rounds."""
    rows = []
    for name in names:
        measures = results[name]
        total = sum(m.seconds for m in measures)
        parts: dict[str, float] = defaultdict(float)
        for m in measures:
            for key, value in m.parts.items():
                parts[key] += value
        outside = total - sum(parts[k] for k in FORWARD_BACKWARD_OPTIMIZER)
        rows.append(
            [
                name,
                f"{1000 * total / (len(measures) * steps):.0f} ms",
                _share(parts["make_batch"], total),
                _share(parts["forward_loss"], total),
                _share(parts["optimizer_step"], total),
                _share(parts["ema_update"], total),
                _share(parts["maybe_log"], total),
                _share(total - sum(parts.values()), total),
                _share(outside, total),
            ]
        )
    headers = [
        "Tofy step",
        "per step",
        "make_batch",
        "forward+loss",
        "backward+clip+AdamW",
        "EMA",
        "log (every 10)",
        "loop rest",
        "outside fwd/bwd/opt",
    ]
    return table(headers, rows)


def _share(part: float, total: float) -> str:
    return f"{100 * part / total:.1f}%"


if __name__ == "__main__":
    main()
