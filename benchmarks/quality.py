"""Does the model learn? Held-out retrieval of the masked word after a fixed step budget,
against a unigram-frequency baseline and an MLM twin trained for the same steps.

- Tofy: a preset (default quick: `tofy train` with no options but `--steps`) on the corpus
  (`--data FILE|hub:ID`, default the embedded one), trained by the real `Trainer`
  (evaluations and checkpoints included). Retrieval ranks the true word among all real words
  by the cosine between the prediction and the teacher's embedding rows: the rank
  `tofy diff` shows.
- MLM twin: the same `Encoder` (same size, same initialisation seed), a Linear(dim, vocab)
  decoder with cross-entropy at the masked positions (the generative objective), the same
  batches and masking (same sampler seed), AdamW with the same groups, learning-rate schedule
  and clipping, for the same number of steps. Retrieval ranks the true word in its softmax.
- Unigram: always ranks real words by their count in the training split.

All three read one split, the one `tofy train` makes (`prepare_data`): exact duplicate
phrases dropped first (the count is printed), then 2% of the phrases held out, the vocabulary
built from the training side. The header also prints how many held-out phrases equal a
training phrase word for word (0 when the split is clean). The held-out set: every word of
every held-out phrase that is in the vocabulary, masked one at a time with the phrase
otherwise intact (out-of-vocabulary words cannot be retrieved by any method and are counted
apart). A rank is 1 + the number of words scored strictly higher, for all three methods.

The budget is 4,000 steps (the learning-rate schedule runs its full course in it): about
6 minutes on 2 idle cores for both models together on the embedded corpus. `--minutes M`
sets Tofy's budget in time instead (turned into steps by timing a short run first); the twin
trains as many steps.

    python benchmarks/quality.py                       # 4,000 steps each
    python benchmarks/quality.py --quick               # 300 steps each: a smoke run
    python benchmarks/quality.py --data chats.txt --minutes 10
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from common import environment_line, table, use_temporary_home
from quality_methods import (
    held_out_batches,
    held_out_targets,
    summarize,
    train_mlm_twin,
    twin_ranks,
    unigram_ranks,
    word_bands,
)
from quality_report import band_note, ratio, results_table, score_cells

DEFAULT_STEPS = 4000


def prepare_split(data: str, seed: int, threads: int = 0, preset: str = "quick"):
    """A preset's configuration (`tofy train`'s default: quick) on `data` (empty: the embedded
    corpus) and the corpus as `tofy train` prepares it: duplicates dropped, the held-out split,
    the vocabulary. All three methods read this one split. Evaluation every 200 steps, so the
    curve's points fall on the trainer's own evaluations."""
    from tofy_core.config import RunConfig
    from tofy_core.data.split import prepare_data
    from tofy_core.presets import preset_config

    config = preset_config(preset)
    train = replace(
        config.train,
        data=data,
        steps=DEFAULT_STEPS,
        seed=seed,
        device="cpu",
        threads=threads,
        eval_every=200,
    )
    config = RunConfig(config.model, train).validate()
    return config, prepare_data(config)


def with_changes(config, recipe: str, changes: list[str]):
    """`config` with `recipe`'s loss and each FIELD=VALUE laid over it (a ConfigError names
    a bad one). The split is not affected: it depends on the data and seed only."""
    from tofy_core.errors import ConfigError
    from tofy_core.recipes import apply_recipe

    apply_recipe(config, recipe)
    for change in changes:
        name, _, text = change.partition("=")
        part = next((p for p in (config.model, config.train) if hasattr(p, name)), None)
        if part is None or not text:
            raise ConfigError(f"--set {change!r}: give FIELD=VALUE with a config field")
        old = getattr(part, name)
        value = text.lower() in ("1", "true", "on") if isinstance(old, bool) else type(old)(text)
        setattr(part, name, value)
    return config.validate()


def make_trainer(config, data, steps: int, name: str = "quality-tofy", pack: bool | None = None):
    """A Trainer of `config` with a budget of `steps` on the prepared `data`, ready to fit
    (`pack` None: the configuration's own setting)."""
    from tofy_core.config import RunConfig
    from tofy_core.runs import folders as runs
    from tofy_core.train.trainer import Trainer

    train = replace(config.train, steps=steps)
    if pack is not None:
        train.pack = pack
    config = RunConfig(config.model, train).validate()
    return Trainer(runs.create_run(config, name), config, data)


def steps_for_minutes(config, data, minutes: float, probe: int = 40) -> int:
    """The step budget that fills about `minutes` of Tofy training here: `probe` steps of a
    throwaway run are timed between its step events (the first 10 steps left out as warm-up)
    and extrapolated. Evaluations and checkpoints add a little on top."""
    trainer = make_trainer(config, data, probe, "quality-probe")
    marks: dict[int, float] = {}

    def listen(record) -> None:
        if record["event"] == "step":
            marks.setdefault(record["step"], time.perf_counter())

    trainer.add_listener(listen)
    if trainer.fit() != "finished" or len(marks) < 2:
        raise SystemExit(f"quality: the timing run failed: {trainer.run.error}")
    first, last = min(marks), max(marks)
    per_step = (marks[last] - marks[first]) / (last - first)
    return max(1, int(minutes * 60 / per_step))


def rows_also_in_training(train_table, eval_table) -> int:
    """Held-out rows whose ids equal a training row's word for word: a score on them would
    measure memorisation, not generalisation."""

    def rows(table) -> list[tuple[int, ...]]:
        import torch

        every = torch.arange(len(table))  # a memory-mapped training side reads by rows
        ids, lengths = table.rows(every).tolist(), table.lengths.tolist()
        return [tuple(row[:length]) for row, length in zip(ids, lengths, strict=True)]

    seen = set(rows(train_table))
    return sum(row in seen for row in rows(eval_table))


def unknown_words(eval_table) -> int:
    """Held-out words outside the training vocabulary: no model of this vocabulary can
    retrieve them, so no method is asked for them."""
    from tofy_core.data.vocab import UNK_ID

    return int((eval_table.ids == UNK_ID).sum())


def train_tofy(trainer, batches, curve_every: int, curve: dict[int, float]):
    """`Trainer.fit` as `tofy train` runs it; every `curve_every` steps (at its evaluations)
    the held-out top-10 is noted. Returns the seconds spent in `fit`, those notes excluded."""
    noted = [0.0]

    def listen(record) -> None:
        if record["event"] == "eval" and curve_every and record["step"] % curve_every == 0:
            started = time.perf_counter()
            curve[record["step"]] = trainer.evaluate(batches)["top10"]
            noted[0] += time.perf_counter() - started

    trainer.add_listener(listen)
    start = time.perf_counter()
    status = trainer.fit()
    seconds = time.perf_counter() - start - noted[0]
    if status != "finished":
        raise SystemExit(f"the Tofy run ended {status}: {trainer.run.error}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Held-out masked-word retrieval of a Tofy preset after a "
        "fixed budget, against a unigram baseline and an MLM twin at equal steps, all three "
        "on the same training/held-out split of any corpus.",
    )
    parser.add_argument(
        "--data",
        default="",
        metavar="FILE|hub:ID",
        help="the corpus, as `tofy train` takes it (default: the embedded corpus)",
    )
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--steps", type=int, default=None, help=f"step budget (default {DEFAULT_STEPS})"
    )
    budget.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="a budget in minutes of Tofy training instead, turned into steps by timing 40 "
        "steps first; the twin then trains the same steps",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="init, sampling and split seed (default 0)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads for both models (default 0: `tofy train`'s own rule)",
    )
    parser.add_argument(
        "--curve",
        type=int,
        default=1000,
        help="also print held-out top-10 every N steps, both models (a multiple of 200; "
        "0: off; the time spent there is not counted) (default 1000)",
    )
    parser.add_argument(
        "--preset",
        choices=("quick", "base", "large"),
        default="quick",
        help="the model sizes and lr to measure (default quick: what `tofy train` trains)",
    )
    parser.add_argument(
        "--recipe",
        choices=("tofy", "seed"),
        default="tofy",
        help="Tofy's loss (default tofy: what `tofy train` trains; seed: the original)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change one model or training field of Tofy's configuration (repeatable), e.g. "
        "--set temperature=0.1: how the ablations of benchmarks/README were tried at length",
    )
    parser.add_argument(
        "--packing",
        action="store_true",
        help="compare Tofy packed (the default) with Tofy unpacked (--no-pack) at an equal "
        "number of real tokens, instead of the MLM twin",
    )
    parser.add_argument("--quick", action="store_true", help="300 steps, no curve: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.curve = 0
        if args.minutes is None:
            args.steps = 300
    if args.curve < 0 or args.curve % 200:
        parser.error("--curve must be a multiple of 200 (the trainer's evaluation interval)")
    if (args.steps is not None and args.steps <= 0) or (
        args.minutes is not None and args.minutes <= 0
    ):
        parser.error("--steps and --minutes must be positive")
    from tofy_core.errors import TofyError
    from tofy_core.train.measures import collapse_score, retrieval_ranks, word_counts

    use_temporary_home(share_cache=args.data.startswith("hub:"))
    try:
        config, data = prepare_split(args.data, args.seed, args.threads, args.preset)
        config = with_changes(config, args.recipe, args.set)
    except TofyError as exc:
        sys.exit(f"quality: {exc}")
    steps = args.steps or DEFAULT_STEPS
    if args.minutes is not None:
        steps = steps_for_minutes(config, data, args.minutes)
    trainer = make_trainer(config, data, steps)
    model, train = trainer.config.model, trainer.train
    vocab_size = len(data.vocab)
    batches = held_out_batches(data.eval_table)
    count = sum(int(b.targets.numel()) for b in batches)
    sizes = data.sizes()
    duplicates = sizes.get("duplicates_dropped", sizes.get("duplicates"))
    dropped = "not counted" if duplicates is None else f"{duplicates:,}"
    budget_note = f" (about {args.minutes:g} min)" if args.minutes is not None else ""
    print(f"# Quality, {environment_line()}", flush=True)
    print(
        f"# preset {train.preset}, recipe {train.recipe}"
        + (f" with {', '.join(args.set)}" if args.set else "")
        + f": dim {model.dim}, layers {model.layers}, heads "
        f"{model.heads}, seq {model.max_seq}, batch {train.batch}, lr {train.lr}; "
        f"{steps} steps each{budget_note}, seed {args.seed}\n"
        f"# data: {data.corpus.source}: duplicate phrases dropped before the split: "
        f"{dropped}; {len(data.train_table):,} training rows, vocab {vocab_size:,} "
        f"(training split only)\n"
        f"# held out: {len(data.eval_table)} phrases, {count} masked words, each ranked "
        f"among {vocab_size - 3} words ({unknown_words(data.eval_table)} words outside the "
        f"vocabulary not asked); held-out phrases also in training: "
        f"{rows_also_in_training(data.train_table, data.eval_table)}",
        flush=True,
    )
    if not count:
        sys.exit("quality: the held-out phrases hold no word of the vocabulary: give more text")
    if args.packing:
        compare_packing(config, data, steps, batches)
        return
    tofy_curve: dict[int, float] = {}
    twin_curve: dict[int, float] = {}
    tofy_seconds = train_tofy(trainer, batches, args.curve, tofy_curve)
    twin, twin_seconds = train_mlm_twin(trainer, steps, batches, args.curve, twin_curve)
    targets = held_out_targets(batches)
    bands = word_bands(word_counts(data.train_table, vocab_size))
    tofy_ranks, _, _ = retrieval_ranks(trainer.model, batches, trainer.device)
    results = {
        "unigram frequency": (unigram_ranks(data.train_table, vocab_size, batches), None),
        "MLM twin (softmax decoder)": (twin_ranks(twin, batches), twin_seconds),
        "Tofy (latent)": (tofy_ranks, tofy_seconds),
    }
    scored = {name: summarize(r, targets, bands) for name, (r, _) in results.items()}
    print()
    print(results_table(scored, {name: s for name, (_, s) in results.items()}))
    print(f"# bands: {band_note(scored['unigram frequency'])}")
    tofy, unigram = scored["Tofy (latent)"], scored["unigram frequency"]
    mlm = scored["MLM twin (softmax decoder)"]
    collapse = collapse_score(trainer.model, trainer.collapse_ids)
    print()
    print(f"Tofy top-10 / unigram top-10: {ratio(tofy['top10'], unigram['top10'])}")
    print(f"Tofy top-10 / MLM twin top-10: {ratio(tofy['top10'], mlm['top10'])}")
    print(f"Tofy mean rank / MLM twin mean rank: {ratio(tofy['mean_rank'], mlm['mean_rank'])}")
    print(f"collapse watch at the end: {collapse:.3f} (near 1: the target table collapsed)")
    if tofy_curve:
        print()
        points = sorted(set(tofy_curve) & set(twin_curve))
        curve_rows = [
            [
                step,
                f"{100 * tofy_curve[step]:.1f}%",
                f"{100 * twin_curve[step]:.1f}%",
                ratio(tofy_curve[step], twin_curve[step]),
            ]
            for step in points
        ]
        print(table(["step", "Tofy top-10", "MLM twin top-10", "ratio"], curve_rows))


def compare_packing(config, data, steps: int, batches) -> None:
    """Tofy packed and unpacked for `steps` each on one split. A batch is a number of
    phrases either way and packing draws nothing, so both read the same phrases with the
    same masks: the same real tokens (counted from each run's `end` event, and printed)."""
    vocab_size = len(data.vocab)
    rows = [
        [
            "unigram frequency",
            "—",
            *score_cells(summarize(unigram_ranks(data.train_table, vocab_size, batches))),
            "—",
        ]
    ]
    top10 = {}
    for pack in (True, False):
        name = "Tofy packed" if pack else "Tofy unpacked (--no-pack)"
        trainer = make_trainer(config, data, steps, f"quality-pack-{pack}", pack=pack)
        ended: dict = {}
        trainer.add_listener(lambda record, ended=ended: ended.update(record))
        seconds = train_tofy(trainer, batches, 0, {})
        result = trainer.evaluate(batches)
        top10[pack] = result["top10"]
        rows.append([name, f"{ended['real_tokens']:,}", *score_cells(result), f"{seconds:.0f} s"])
    print()
    print(table(["method", "real tokens", "top-1", "top-10", "mean rank", "train time"], rows))
    points = 100 * (top10[True] - top10[False])
    verdict = "met" if points >= -1 else "not met"
    print()
    print(f"packed top-10 − unpacked top-10: {points:+.1f} points (goal ≥ −1: {verdict})")


if __name__ == "__main__":
    main()
