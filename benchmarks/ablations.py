"""Which part of the loss makes the latent model learn on real text? One change at a time from
the default recipe (and from the seed's), each trained for the same steps on the same split
with the same batches, scored like quality.py: held-out top-1, top-10, mean and median rank,
top-10 per frequency band, and the collapse watch at the end.

    python benchmarks/ablations.py --data brown.txt --steps 1500
    python benchmarks/ablations.py --data brown.txt --only default seed "no prior"
    python benchmarks/ablations.py --list

Every variant is a real `Trainer` run of the quick preset (unless `--preset`); a variant that
needs more than a configuration field (a fixed prior, another initialisation) changes the
fresh model before its first step, as noted in its description."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common import environment_line, table, use_temporary_home
from quality import make_trainer, prepare_split
from quality_methods import (
    BANDS,
    held_out_batches,
    held_out_targets,
    summarize,
    train_mlm_twin,
    twin_ranks,
    unigram_ranks,
    word_bands,
)


@dataclass
class Variant:
    name: str
    what: str
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    recipe: str = "tofy"
    prepare: Callable | None = None  # changes the fresh trainer's model before step 1


def fixed_prior(trainer) -> None:
    """The word prior stays at its start (log-frequency): counts, not learned."""
    for group in trainer.optimizer.param_groups:
        if "lr_scale" in group:
            group["lr_scale"] = 0.0


def wide_predictor(trainer) -> None:
    """The predictor's hidden layer 4× wider (dim → 4·dim → dim), the optimizer rebuilt."""
    from torch import nn

    model = trainer.model
    dim = model.config.dim
    model.predictor.fc1 = nn.Linear(dim, 4 * dim).to(trainer.device)
    model.predictor.fc2 = nn.Linear(4 * dim, dim).to(trainer.device)
    trainer.optimizer = model.configure_optimizer(trainer.train, trainer.device)


VARIANTS = [
    Variant("default", "the default recipe (tofy)"),
    Variant("seed", "the seed's loss: cosine only, against the EMA teacher", recipe="seed"),
    Variant("no prior", "default without the word prior", model={"word_prior": False}),
    Variant("fixed prior", "the prior kept at log-frequency, not learned", prepare=fixed_prior),
    Variant(
        "teacher table", "default, contrast against the EMA teacher", train={"contrast": "teacher"}
    ),
    Variant(
        "seed + prior",
        "the seed's loss plus the word prior",
        recipe="seed",
        model={"word_prior": True},
    ),
    Variant(
        "seed + online",
        "the seed's loss, contrast against the online table",
        recipe="seed",
        train={"contrast": "online"},
    ),
    Variant("τ 0.1", "temperature 0.1", train={"temperature": 0.1}),
    Variant("τ 0.025", "temperature 0.025", train={"temperature": 0.025}),
    Variant("mse 0", "no squared-distance term", train={"mse_weight": 0.0}),
    Variant("align 0", "no encoder-state alignment term", train={"align_weight": 0.0}),
    Variant(
        "ema 0.996→1",
        "teacher momentum 0.996 rising to 1 (the seed's schedule)",
        train={"ema_start": 0.996, "ema_end": 1.0},
    ),
    Variant(
        "ema 0.9",
        "teacher momentum 0.9 throughout (a faster teacher)",
        train={"ema_start": 0.9, "ema_end": 0.9},
    ),
    Variant(
        "ema 0.9999",
        "teacher momentum 0.9999 throughout (nearly fixed)",
        train={"ema_start": 0.9999, "ema_end": 0.9999},
    ),
    Variant("init 0.02", "embedding init std 0.02 (the seed's)", model={"embed_std": 0.02}),
    Variant("init 1", "embedding init std 1", model={"embed_std": 1.0}),
    Variant("wide predictor", "predictor hidden layer 4·dim wide", prepare=wide_predictor),
]


def run_id(name: str) -> str:
    """A run id from a variant's name (letters and digits kept, the rest as '-')."""
    return "ablation-" + "".join(c if c.isascii() and c.isalnum() else "-" for c in name)


def run_variant(variant: Variant, config, data, steps: int, batches, targets, bands):
    """Train one variant on the shared split; its summary, seconds and the collapse watch."""
    from tofy_core.config import RunConfig
    from tofy_core.recipes import apply_recipe
    from tofy_core.train.measures import collapse_score, retrieval_ranks

    fresh = RunConfig.from_dict(config.to_dict())
    apply_recipe(fresh, variant.recipe)
    for key, value in variant.model.items():
        setattr(fresh.model, key, value)
    for key, value in variant.train.items():
        setattr(fresh.train, key, value)
    trainer = make_trainer(fresh.validate(), data, steps, run_id(variant.name))
    if variant.prepare is not None:
        variant.prepare(trainer)
    started = time.perf_counter()
    status = trainer.fit()
    seconds = time.perf_counter() - started
    if status != "finished":
        raise SystemExit(f"ablations: {variant.name} ended {status}: {trainer.run.error}")
    ranks, _, _ = retrieval_ranks(trainer.model, batches, trainer.device)
    collapse = collapse_score(trainer.model, trainer.collapse_ids)
    return summarize(ranks, targets, bands), seconds, collapse


def row(name: str, result: dict, seconds: float | None, collapse: float | None) -> list[str]:
    return [
        name,
        f"{100 * result['top1']:.1f}%",
        f"{100 * result['top10']:.1f}%",
        f"{result['mean_rank']:,.0f}",
        f"{result['median_rank']:,.0f}",
        *(f"{100 * result[f'{band}_top10']:.1f}%" for band, _ in BANDS),
        "—" if collapse is None else f"{collapse:.3f}",
        "—" if seconds is None else f"{seconds:.0f} s",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="", metavar="FILE|hub:ID", help="the corpus")
    parser.add_argument("--steps", type=int, default=1500, help="steps per variant (1500)")
    parser.add_argument("--seed", type=int, default=0, help="init, sampling and split seed")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--preset", choices=("quick", "base", "large"), default="quick")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants")
    parser.add_argument("--twin", action="store_true", help="also train the MLM twin")
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    args = parser.parse_args(argv)
    if args.list:
        for variant in VARIANTS:
            print(f"{variant.name:<14} {variant.what}")
        return
    chosen = VARIANTS
    if args.only:
        unknown = sorted(set(args.only) - {v.name for v in VARIANTS})
        if unknown:
            parser.error(f"no variant {', '.join(unknown)}: see --list")
        chosen = [v for v in VARIANTS if v.name in args.only]
    if args.steps <= 0:
        parser.error("--steps must be positive")
    from tofy_core.errors import TofyError
    from tofy_core.train.measures import word_counts

    use_temporary_home(share_cache=args.data.startswith("hub:"))
    try:
        config, data = prepare_split(args.data, args.seed, args.threads, args.preset)
    except TofyError as exc:
        sys.exit(f"ablations: {exc}")
    vocab_size = len(data.vocab)
    batches = held_out_batches(data.eval_table)
    targets = held_out_targets(batches)
    bands = word_bands(word_counts(data.train_table, vocab_size))
    print(f"# Ablations, {environment_line()}")
    print(
        f"# {data.corpus.source}: {len(data.train_table):,} training phrases, vocab "
        f"{vocab_size:,}; {len(targets):,} held-out words; preset {args.preset}, "
        f"{args.steps} steps per variant, seed {args.seed}",
        flush=True,
    )
    head = ["variant", "top-1", "top-10", "mean rank", "median rank"]
    head += [f"{band} top-10" for band, _ in BANDS] + ["collapse", "train time"]
    unigram = unigram_ranks(data.train_table, vocab_size, batches)
    rows = [row("unigram frequency", summarize(unigram, targets, bands), None, None)]
    if args.twin:
        trainer = make_trainer(config, data, args.steps, "ablation-twin")
        twin, seconds = train_mlm_twin(trainer, args.steps, batches, 0, {})
        rows.append(
            row("MLM twin", summarize(twin_ranks(twin, batches), targets, bands), seconds, None)
        )
    for variant in chosen:
        rows.append(
            row(
                variant.name,
                *run_variant(variant, config, data, args.steps, batches, targets, bands),
            )
        )
        print(" | ".join(rows[-1]), flush=True)
    print()
    print(table(head, rows))
    print()
    for variant in chosen:
        print(f"- {variant.name}: {variant.what}")


if __name__ == "__main__":
    main()
