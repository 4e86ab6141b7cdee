"""The `tofy train` command line in both directions, in one place so they cannot drift:
`add_train_arguments` + `config_from_args` read it (argv → RunConfig) and `train_argv` writes
it (RunConfig → argv; the TUI starts its training child with it)."""

from __future__ import annotations

import argparse

from tofy_core.cli.args import (
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    unit_float,
)
from tofy_core.config import DEVICES, RunConfig, TrainConfig
from tofy_core.presets import DEFAULT_PRESET, PRESETS, preset_config
from tofy_core.recipes import DEFAULT_RECIPE, RECIPE_OPTIONS, RECIPES
from tofy_core.threads import default_threads

PRESET_FIELDS = {
    "dim": "model",
    "max_seq": "model",
    "layers": "model",
    "heads": "model",
    "max_vocab": "model",
    "steps": "train",
    "batch": "train",
    "lr": "train",
    "eval_every": "train",
}


def _from_preset(name: str, what: str) -> str:
    """Help text for an option whose default comes from the preset: its value in each."""
    values = []
    for preset in PRESETS.values():
        config = preset.config()
        part = config.model if PRESET_FIELDS[name] == "model" else config.train
        values.append(f"{preset.name} {getattr(part, name):g}")
    return f"{what} (default from --preset: {', '.join(values)})"


def presets_help() -> str:
    lines = [f"  {p.name:<6} {p.summary}" for p in PRESETS.values()]
    return "presets (--preset NAME; options given explicitly win):\n" + "\n".join(lines)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    train = TrainConfig()
    group = parser.add_argument_group("model")
    group.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default=DEFAULT_PRESET,
        help="starting sizes and schedule, listed below",
    )
    group.add_argument("--dim", type=positive_int, help=_from_preset("dim", "embedding width"))
    group.add_argument(
        "--max-seq", type=positive_int, help=_from_preset("max_seq", "tokens per training row")
    )
    group.add_argument(
        "--layers", type=positive_int, help=_from_preset("layers", "transformer blocks")
    )
    group.add_argument(
        "--heads", type=positive_int, help=_from_preset("heads", "attention heads; divide dim")
    )
    group.add_argument(
        "--max-vocab",
        type=positive_int,
        help=_from_preset("max_vocab", "vocabulary cap, 3 special tokens included"),
    )
    group.add_argument(
        "--no-lower", action="store_true", help="keep case (default: lowercase all text)"
    )
    group = parser.add_argument_group("training")
    group.add_argument("--steps", type=positive_int, help=_from_preset("steps", "optimizer steps"))
    group.add_argument(
        "--batch",
        type=positive_int,
        help=_from_preset(
            "batch",
            "phrases per step (a number of lines, not of tokens); packed, they share rows "
            "of max-seq tokens",
        ),
    )
    group.add_argument("--lr", type=positive_float, help=_from_preset("lr", "peak learning rate"))
    group.add_argument(
        "--device",
        choices=DEVICES,
        default=train.device,
        help="auto = CUDA when a GPU is present, else CPU",
    )
    group.add_argument(
        "--threads",
        type=non_negative_int,
        default=train.threads,
        help=f"CPU threads for torch; 0 = every core but one, at most 8 "
        f"(here: {default_threads()}) (default: 0)",
    )
    group.add_argument(
        "--seed", type=int, default=train.seed, help="seeds weights, data order and masks"
    )
    group.add_argument(
        "--masks-per-seq",
        type=non_negative_int,
        default=train.masks_per_seq,
        help="masked words per phrase; 0 = 15%% of its words (at least one); 1 = the seed",
    )
    group.add_argument(
        "--negatives",
        type=non_negative_int,
        default=train.negatives,
        help="0 = every vocabulary word is a negative; N = N sampled (the seed used 32)",
    )
    group.add_argument(
        "--log-every", type=positive_int, default=train.log_every, help="steps between step lines"
    )
    group.add_argument(
        "--eval-every",
        type=positive_int,
        help=_from_preset("eval_every", "steps between held-out evaluations"),
    )
    group.add_argument(
        "--eval-phrases",
        type=positive_int,
        default=train.eval_phrases,
        help="held-out phrases each evaluation scores: a fixed sample, so an evaluation "
        "costs the same whatever the corpus size",
    )
    group.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=train.checkpoint_every,
        help="steps between saves (a stop always saves)",
    )
    group.add_argument(
        "--no-pack",
        dest="pack",
        action="store_false",
        help="one padded row per phrase (default: pack several whole phrases into each row of "
        "max-seq, attention and positions per phrase, so no compute goes to padding)",
    )
    group.add_argument("--compile", action="store_true", help="torch.compile the model")
    group.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files into the run folder's tensorboard/ "
        "(needs pip install 'tofy[tensorboard]')",
    )
    add_loss_arguments(parser)


def _from_recipe(name: str, what: str) -> str:
    """Help text for a loss option: its value in each recipe."""
    values = ", ".join(f"{r.name} {r.train[name]:g}" for r in RECIPES.values())
    return f"{what} (default from --recipe: {values})"


def add_loss_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("loss")
    group.add_argument(
        "--recipe",
        choices=tuple(RECIPES),
        default=DEFAULT_RECIPE,
        help="; ".join(f"{r.name}: {r.summary}" for r in RECIPES.values()),
    )
    for name, kind, what in (
        ("temperature", positive_float, "softmax temperature of the cosine scores"),
        ("mse_weight", non_negative_float, "weight of the squared distance to the target"),
        ("ce_weight", non_negative_float, "weight of the contrastive cross-entropy"),
        ("align_weight", non_negative_float, "weight of the encoder state's cosine to the target"),
        ("ema_start", unit_float, "EMA teacher momentum at the start"),
        ("ema_end", unit_float, "EMA teacher momentum at the end (1: the teacher stops)"),
    ):
        flag = "--" + name.replace("_", "-")
        group.add_argument(flag, type=kind, help=_from_recipe(name, what))


# Training options config_from_args copies as given (the preset does not set them).
TRAIN_OPTIONS = (
    "device",
    "threads",
    "seed",
    "log_every",
    "checkpoint_every",
    "eval_phrases",
    "masks_per_seq",
    "negatives",
    "pack",
    "compile",
    "tensorboard",
)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Everything `tofy train` accepts: the data, the model and training options, the run's
    name and folder."""
    parser.add_argument("data", nargs="?", default="", help="data file or hub:<id>")
    add_model_arguments(parser)
    parser.add_argument("--name", default="", help="a name shown in run lists")
    parser.add_argument("--run-id", default=None, help="folder name of the run (default: dated)")
    parser.add_argument("--refresh", action="store_true", help="rebuild a cached hub: dataset")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The preset's configuration with every option the user gave laid over it."""
    config = preset_config(args.preset, args.recipe)
    for name in RECIPE_OPTIONS:
        if getattr(args, name) is not None:
            setattr(config.train, name, getattr(args, name))
    for name, part in PRESET_FIELDS.items():
        value = getattr(args, name)
        if value is not None:
            setattr(config.model if part == "model" else config.train, name, value)
    config.model.lowercase = not args.no_lower
    train = config.train
    train.data = getattr(args, "data", "") or ""
    train.name = getattr(args, "name", "") or ""
    for name in TRAIN_OPTIONS:
        setattr(train, name, getattr(args, name))
    return config.validate()


def train_argv(config: RunConfig, run_id: str | None = None) -> list[str]:
    """The `tofy train` arguments that make `config` again (`config_from_args` of them equals
    it). The preset, its fields and the options the form shows are always written, so the
    command reads whole; the others only when changed. The data comes last, after `--`, and
    the name as `--name=…`, so a value starting with `-` is never read as an option."""
    model, train = config.model, config.train
    argv = ["--preset", train.preset] if train.preset else []
    for flag, value in (
        ("--steps", train.steps),
        ("--batch", train.batch),
        ("--dim", model.dim),
        ("--max-seq", model.max_seq),
        ("--layers", model.layers),
        ("--heads", model.heads),
        ("--max-vocab", model.max_vocab),
        ("--lr", repr(train.lr)),
        ("--device", train.device),
        ("--seed", train.seed),
        ("--log-every", train.log_every),
        ("--eval-every", train.eval_every),
    ):
        argv += [flag, str(value)]
    if train.recipe:
        argv += ["--recipe", train.recipe]
        recipe = RECIPES[train.recipe].train
        for name in RECIPE_OPTIONS:
            if getattr(train, name) != recipe[name]:
                argv += ["--" + name.replace("_", "-"), repr(getattr(train, name))]
    defaults = TrainConfig()
    for name in ("threads", "masks_per_seq", "negatives", "checkpoint_every", "eval_phrases"):
        if getattr(train, name) != getattr(defaults, name):  # threads 0: the engine's rule
            argv += ["--" + name.replace("_", "-"), str(getattr(train, name))]
    if not model.lowercase:
        argv.append("--no-lower")
    if not train.pack:
        argv.append("--no-pack")
    if train.compile:
        argv.append("--compile")
    if train.tensorboard:
        argv.append("--tensorboard")
    if train.name:
        argv.append(f"--name={train.name}")
    if run_id:
        argv += ["--run-id", run_id]
    if train.data:
        argv += ["--", train.data]
    return argv
