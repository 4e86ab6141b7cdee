"""Training throughput of Tofy's real step against a Hugging Face BERT reference, side by side.

One process, warm-up first, then several rounds; in each round every contestant runs the same
number of steps, in an order that rotates from round to round, and the fp32 matmul peak is
measured in the same round. Ratios are taken within a round, then the median over rounds:
a noisy machine slows both sides of a ratio alike.

- Tofy: `Trainer._loop`, the loop `tofy train` runs (make_batch: sampling + masking;
  forward_loss; optimizer_step: backward, clipping, AdamW; ema_update; a `step` event every
  `log_every` = 10 steps), with evaluation and checkpoints pushed past the measured steps.
  Each named step is timed through a wrapper: that gives the share of a step spent outside
  forward/backward/optimizer.
- Reference: `transformers.BertModel` (sdpa attention, dropout 0, no pooler) of the same
  dim/layers/heads/seq/vocab, a Linear(dim, dim) head at 15% of positions, MSE against the
  (detached) embedding row of the masked word, `torch.optim.AdamW` with its defaults: what a
  user would write. It reads the same pre-tokenized rows. Dropout is off, as in Tofy, so
  both sides compute the same thing; a second reference keeps BERT's default dropout 0.1
  (the "plain" reference a user gets from `BertConfig` as is), on the synthetic data only.

Two data sets: a synthetic corpus whose lines fill max_seq (both sides process batch × max_seq
tokens: the headline), and the default corpus (short phrases; batches are trimmed to their
longest phrase, tokens counted with padding, the same rows for both sides).

GFLOP/s counts the work each side actually does (see `step_flops`); "model GFLOP/s" uses the
usual 6·(non-embedding params)·tokens + attention for both, as if every position went
through every layer.

    python benchmarks/throughput.py            # ~3 minutes on 2 idle cores
    python benchmarks/throughput.py --quick    # a smoke run
    python benchmarks/throughput.py --threads 1 --clock cpu   # on a busy machine
"""

from __future__ import annotations

import argparse
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
NAMED_STEPS = ("make_batch", "forward_loss", "optimizer_step", "ema_update", "maybe_log")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


@dataclass
class Measure:
    """What one contestant did in one round."""

    seconds: float = 0.0
    tokens: int = 0
    flops: float = 0.0
    model_flops: float = 0.0
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9

    @property
    def model_gflops(self) -> float:
        return self.model_flops / self.seconds / 1e9


def attention_flops(layers: int, batch: int, queries: int, keys: int, dim: int) -> float:
    """QKᵀ and AV: 4·B·Lq·Lk·d forward, twice that backward."""
    return 12 * layers * batch * queries * keys * dim


def model_flops(non_embedding: int, layers: int, batch: int, length: int, dim: int) -> float:
    """The usual estimate: 6·params·tokens + attention, every position through every layer."""
    tokens = batch * length
    return 6 * non_embedding * tokens + attention_flops(layers, batch, length, length, dim)


# --- Tofy: the trainer's own loop ---------------------------------------------------------


class TofyContestant:
    """A Trainer whose named steps are wrapped with timers; `run(n)` drives `_loop` for n steps
    (a stop request after the n-th batch, as SIGINT does) with checkpoints made no-ops."""

    def __init__(self, data_path: str, size: dict[str, int], clock) -> None:
        from tofy_core import runs
        from tofy_core.config import RunConfig, TrainConfig
        from tofy_core.train import Trainer, prepare_data

        far = 10**9
        model = model_config(size)
        train = TrainConfig(
            data=data_path,
            steps=far,
            batch=size["batch"],
            device="cpu",
            eval_every=far,
            checkpoint_every=far,
        )
        config = RunConfig(model, train).validate()
        self.clock = clock
        self.data = prepare_data(config)
        self.trainer = Trainer(runs.create_run(config), config, self.data)
        self.model_config = config.model
        self.vocab_size = len(self.data.vocab)
        self.measure = Measure()
        self.remaining = 0
        for name in NAMED_STEPS:
            setattr(self.trainer, name, self._timed(name, getattr(self.trainer, name)))
        self.trainer.save_checkpoint = lambda loss: True

    def _timed(self, name, method):
        def wrapper(*args, **kwargs):
            start = self.clock()
            value = method(*args, **kwargs)
            self.measure.parts[name] += self.clock() - start
            if name == "make_batch":
                self._count(value)
            return value

        return wrapper

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

    def _count(self, batch) -> None:
        c = self.model_config
        size, length = batch.inputs.shape
        widest = batch.selection.index.shape[1]
        self.measure.tokens += batch.tokens
        self.measure.flops += self.step_flops(size, length, batch.targets.numel(), widest)
        self.measure.model_flops += model_flops(
            c.non_embedding_parameters(), c.layers, size, length, c.dim
        )
        self.remaining -= 1
        if self.remaining == 0:
            self.trainer.request_stop()

    def run(self, steps: int) -> Measure:
        self.measure = Measure()
        self.remaining = steps
        self.trainer.stop_requested = False
        start = self.clock()
        healthy = self.trainer._loop()
        self.measure.seconds = self.clock() - start
        if not healthy:
            raise RuntimeError("the Tofy loss went non-finite during the benchmark")
        return self.measure


# --- the reference: what a user would write with transformers -----------------------------


class ReferenceContestant:
    """BertModel + Linear head + MSE at 15% of positions + torch AdamW, on the same rows."""

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
        self.optimizer = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.01)
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
        measure.flops += 6 * self.block_params * rows.numel() + 6 * self.head_params * count
        measure.flops += attention_flops(self.layers, size, length, length, self.dim)
        measure.model_flops += model_flops(self.non_embedding, self.layers, size, length, self.dim)

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
REAL, REAL_REF = "Tofy, default corpus", "reference, default corpus"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Tokens/s of Tofy's training step against a transformers BERT reference, "
        "and the share of the fp32 matmul peak both reach, measured side by side.",
    )
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--steps", type=int, default=20, help="steps per contestant per round")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up steps per contestant")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 10 steps, noisier")
    parser.add_argument("--no-real", action="store_true", help="skip the default corpus")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (default: torch's choice)"
    )
    parser.add_argument(
        "--clock",
        choices=tuple(CLOCKS),
        default="wall",
        help="wall time (default), or this process's CPU time: steadier on a busy machine "
        "with --threads 1 (with more threads it also counts spin-waiting)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.steps, args.warmup = 2, 10, 3
    if args.steps % 10:
        parser.error("--steps must be a multiple of 10 (the trainer's log interval)")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    clock = CLOCKS[args.clock]
    home = use_temporary_home()
    size = SEED_SIZE
    corpus = synthetic_corpus(home, words=size["max_vocab"] - 3, length=size["max_seq"], lines=4000)
    print(f"# Throughput, {environment_line()}, {args.clock} clock")
    print(
        f"# size: dim {size['dim']}, layers {size['layers']}, heads {size['heads']}, "
        f"seq {size['max_seq']}, batch {size['batch']}, vocab {size['max_vocab']}; "
        f"{args.rounds} rounds × {args.steps} steps after {args.warmup} warm-up steps",
        flush=True,
    )
    tofy = TofyContestant(str(corpus), size, clock)
    contestants = {
        SYNTHETIC: tofy,
        SYNTHETIC_REF: ReferenceContestant(tofy.data.train_table, tofy.vocab_size, size, clock),
        PLAIN_REF: ReferenceContestant(
            tofy.data.train_table, tofy.vocab_size, size, clock, dropout=0.1
        ),
    }
    if not args.no_real:
        real = TofyContestant("", size, clock)
        contestants[REAL] = real
        contestants[REAL_REF] = ReferenceContestant(
            real.data.train_table, real.vocab_size, size, clock
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
    report(results, args)


def report(results, args) -> None:
    peaks = results["matmul"]
    pairs = [(SYNTHETIC, SYNTHETIC_REF)]
    if not args.no_real:
        pairs.append((REAL, REAL_REF))
    rows = [["fp32 matmul 2048² (peak)", "—", "—", median(peaks), "100%", "—"]]
    for tofy_name, ref_name in pairs:
        extra = [PLAIN_REF] if ref_name == SYNTHETIC_REF else []
        for name in (tofy_name, ref_name, *extra):
            measures = results[name]
            ratios = [
                m.tokens_per_s / r.tokens_per_s
                for m, r in zip(measures, results[ref_name], strict=True)
            ]
            fractions = [m.gflops / p for m, p in zip(measures, peaks, strict=True)]
            rows.append(
                [
                    name,
                    median([m.tokens_per_s for m in measures]),
                    f"{median(ratios):.2f}×",
                    median([m.gflops for m in measures]),
                    f"{100 * median(fractions):.0f}%",
                    median([m.model_gflops for m in measures]),
                ]
            )
    print(
        table(
            ["contestant", "tokens/s", "vs reference", "GFLOP/s", "of peak", "model GFLOP/s"],
            rows,
        )
    )
    print()
    for tofy_name, ref_name in pairs:
        ratios = [
            m.tokens_per_s / r.tokens_per_s
            for m, r in zip(results[tofy_name], results[ref_name], strict=True)
        ]
        print(f"ratio per round, {tofy_name}: " + ", ".join(f"{r:.2f}" for r in ratios))
    plain = [
        m.tokens_per_s / r.tokens_per_s
        for m, r in zip(results[SYNTHETIC], results[PLAIN_REF], strict=True)
    ]
    print(f"Tofy, synthetic against the reference with dropout: {median(plain):.2f}×")
    print()
    print(breakdown(results, [pair[0] for pair in pairs], args.steps))


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
