"""Training throughput of Tofy's real step against a Hugging Face BERT reference, side by side.

One process, warm-up first, then several rounds; in each round every contestant runs the same
number of steps, in an order that rotates from round to round, and the fp32 matmul peak is
measured in the same round. Ratios are taken within a round, then the median over rounds:
a noisy machine slows both sides of a ratio alike.

- Tofy: `Trainer.run_steps` on the config `tofy train --preset base` builds (the seed's
  sizes, the default recipe), the loop `tofy train` runs (make_batch: sampling + masking;
  forward_loss; optimizer_step: backward, clipping, AdamW; ema_update; a `step` event every
  `log_every` = 10 steps), with evaluation pushed past the measured steps and no checkpoints
  (`save=False`). A subclass times each named step: that gives the share of a step spent
  outside forward/backward/optimizer. On the synthetic rows Tofy also runs with
  `--recipe seed` (the seed's loss, labelled so): the default recipe's contrast trains the
  table it scores against, one more matmul per step.
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
tokens: the full-row case), and real text (`--data`, default the embedded corpus; for uneven
English, the Brown corpus that `brown.py` writes). On real text Tofy runs twice: packed (its
default: the batch's phrases share rows of max_seq, attention and positions per phrase) and
unpacked (`--no-pack`: a row per phrase, padded to the batch's longest); the reference is fed
the usual way, random lines padded to the batch's longest with an attention mask. A batch is
32 lines on every side. Real tokens/s counts non-pad tokens, the same way for all (the non-pad
positions of the rows each step read); tokens/s with padding is shown beside it.

Executed GFLOP/s counts the FLOPs each side actually performs (see `step_flops`): Tofy performs
fewer per token, so this column shows how busy each side keeps the cores, not which is faster,
and its share of a 2048² matmul (a best case) is not evidence that either side is efficient.

    python benchmarks/throughput.py            # ~5 minutes on 2 idle cores
    python benchmarks/throughput.py --quick    # a smoke run
    python benchmarks/throughput.py --threads 1 --clock cpu   # on a busy machine
    python benchmarks/throughput.py --data /tmp/brown/brown.txt   # real English (brown.py)
"""

from __future__ import annotations

import argparse
import sys
import time

from common import (
    SEED_SIZE,
    environment_line,
    matmul_gflops,
    synthetic_corpus,
    use_temporary_home,
)
from reference import Measure, ReferenceContestant, attention_flops, real_tokens
from throughput_report import PLAIN_REF, SYNTHETIC, SYNTHETIC_REF, SYNTHETIC_SEED, Goal, report

__all__ = ["ReferenceContestant", "TofyContestant", "main"]

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


# --- Tofy: the trainer's own loop ---------------------------------------------------------


class TofyContestant:
    """The real Trainer with its named steps timed (`timed_trainer`); `run(n)` runs n steps of
    its loop through `Trainer.run_steps`, without checkpoints."""

    def __init__(
        self,
        data_path: str,
        size: dict[str, int],
        clock,
        pack: bool | None = None,
        recipe: str | None = None,
    ) -> None:
        from tofy_core.data.split import prepare_data
        from tofy_core.presets import preset_config
        from tofy_core.runs import folders as runs

        far = 10**9
        # what `tofy train --preset base [--recipe RECIPE]` builds (the seed's sizes; the
        # recipe's loss, model and teacher settings, None: the default recipe), at `size`
        config = preset_config("base", recipe)
        for key in ("dim", "layers", "heads", "max_seq", "max_vocab"):
            setattr(config.model, key, size[key])
        train = config.train
        train.data, train.steps, train.batch, train.eval_every = data_path, far, size["batch"], far
        train.device = "cpu"
        if pack is not None:  # None: the engine's default
            train.pack = pack
        config = config.validate()
        self.clock = clock
        self.data = prepare_data(config)
        self.measure = Measure()
        self.trainer = timed_trainer(self)(runs.create_run(config), config, self.data)
        self.model_config = config.model
        self.contrast = config.train.contrast
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
        every prediction scored against every real word (forward, the gradient to the
        prediction, and with the default recipe's online contrast the gradient to the table
        it scores against; the seed's teacher table gets none)."""
        c = self.model_config
        d, tokens = c.dim, batch * length
        block = 12 * d * d + 13 * d
        kv = 2 * d * d + 2 * d
        queried = batch * widest
        dense = 6 * (c.layers - 1) * block * tokens + 6 * kv * tokens
        dense += 6 * (block - kv) * queried + 6 * 2 * (d * d + d) * masked
        attention = attention_flops(c.layers - 1, batch, length, length, d)
        attention += attention_flops(1, batch, widest, length, d)
        passes = 6 if self.contrast == "online" else 4
        scoring = passes * masked * (self.vocab_size - 3) * d
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
    from tofy_core.train.trainer import Trainer

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


# --- the benchmark ------------------------------------------------------------------------


def corpus_names(data: str) -> tuple[str, str, str]:
    """Row names of the real-corpus contestants: Tofy packed, Tofy unpacked, the reference."""
    label = "default corpus" if not data else f"corpus {data}"
    return f"Tofy packed, {label}", f"Tofy unpacked, {label}", f"reference, {label}"


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
    seed_recipe = TofyContestant(str(corpus), size, clock, recipe="seed")
    contestants = {
        SYNTHETIC: tofy,
        SYNTHETIC_SEED: seed_recipe,
        SYNTHETIC_REF: ReferenceContestant(tofy.data.train_table, tofy.vocab_size, size, clock),
        PLAIN_REF: ReferenceContestant(
            tofy.data.train_table, tofy.vocab_size, size, clock, dropout=0.1
        ),
    }
    pairs = [(SYNTHETIC, SYNTHETIC_REF), (SYNTHETIC_SEED, SYNTHETIC_REF)]
    goals = [Goal(f"full rows: {SYNTHETIC} / {SYNTHETIC_REF}", SYNTHETIC, SYNTHETIC_REF, 1.15)]
    if not args.no_real:
        packed, unpacked, real_ref = corpus_names(args.data)
        try:
            real = TofyContestant(args.data, size, clock, pack=True)
            plain = TofyContestant(args.data, size, clock, pack=False)
        except TofyError as exc:
            sys.exit(f"throughput: {exc}")
        contestants[packed], contestants[unpacked] = real, plain
        # as many phrases as fill the full-row case's batch × max_seq tokens: a step of the
        # same size, so its per-step costs (AdamW, clipping, EMA) weigh the same
        per_row = float(real.data.train_table.lengths.float().mean())
        wide = {**size, "batch": round(size["batch"] * size["max_seq"] / per_row)}
        packed_wide = f"Tofy packed, batch {wide['batch']} (≈ full rows' tokens)"
        contestants[packed_wide] = TofyContestant(args.data, wide, clock, pack=True)
        contestants[real_ref] = ReferenceContestant(
            real.data.train_table, real.vocab_size, size, clock
        )
        pairs += [(packed, real_ref), (unpacked, real_ref), (packed_wide, real_ref)]
        goals += [
            Goal(f"real text: {packed} / {real_ref}", packed, real_ref, 2.0),
            Goal(f"padding nearly free: {packed} / {SYNTHETIC}", packed, SYNTHETIC, 0.85),
            Goal(f"padding nearly free: {packed_wide} / {SYNTHETIC}", packed_wide, SYNTHETIC, 0.85),
            Goal(f"packing: {packed} / {unpacked}", packed, unpacked, 1.0),
        ]
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
    report(results, pairs, goals, args.steps)


if __name__ == "__main__":
    main()
