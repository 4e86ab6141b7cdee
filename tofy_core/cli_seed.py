"""The seed's command forms, kept so its users' scripts still work:

    --latent DATA [steps batch dim max_seq layers heads max_vocab]
    --latent-from-checkpoint CKPT DATA [steps batch dim max_seq layers heads max_vocab]

and the same without dashes. They train a normal run, then also write
`model_latent.safetensors` and `vocab_latent.txt` in the current folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from tofy_core import runs
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.errors import TofyError

LATENT_FORMS = ("--latent", "latent")
FROM_CHECKPOINT_FORMS = ("--latent-from-checkpoint", "latent-from-checkpoint")
POSITIONAL_NAMES = ("steps", "batch", "dim", "max_seq", "layers", "heads", "max_vocab")
SEED_MODEL_FILE = "model_latent.safetensors"
SEED_VOCAB_FILE = "vocab_latent.txt"

SEED_USAGE = """seed forms:
  tofy --latent DATA [steps batch dim max_seq layers heads max_vocab]
  tofy --latent-from-checkpoint CKPT DATA [steps batch dim max_seq layers heads max_vocab]
  tofy --diff MODEL VOCAB [dim max_seq layers heads]"""


def is_seed_training_form(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in LATENT_FORMS + FROM_CHECKPOINT_FORMS


def parse_sizes(values: list[str]) -> RunConfig:
    """The seed's positional numbers, in order; missing ones keep the defaults."""
    if len(values) > len(POSITIONAL_NAMES):
        raise TofyError(
            f"too many numbers ({len(values)}): the seed form takes at most "
            f"{len(POSITIONAL_NAMES)}: {' '.join(POSITIONAL_NAMES)}"
        )
    numbers: dict[str, int] = {}
    for name, text in zip(POSITIONAL_NAMES, values, strict=False):
        try:
            value = int(text)
        except ValueError:
            raise TofyError(f"{name} must be a whole number, got {text!r}") from None
        if value <= 0:
            raise TofyError(f"{name} must be positive, got {value}")
        numbers[name] = value
    model_keys = ("dim", "max_seq", "layers", "heads", "max_vocab")
    model = ModelConfig(**{k: v for k, v in numbers.items() if k in model_keys})
    train = TrainConfig(**{k: v for k, v in numbers.items() if k in ("steps", "batch")})
    return RunConfig(model, train)


def run_seed_training(argv: list[str]) -> int:
    from tofy_core.cli_train import run_training

    form, rest = argv[0], argv[1:]
    checkpoint_path = None
    if form in FROM_CHECKPOINT_FORMS:
        if len(rest) < 2:
            raise TofyError(f"usage: {form} CKPT DATA [{' '.join(POSITIONAL_NAMES)}]")
        checkpoint_path, rest = Path(rest[0]), rest[1:]
        if not checkpoint_path.is_file():
            raise TofyError(f"checkpoint {checkpoint_path} does not exist")
    if not rest:
        raise TofyError(f"usage: {form} DATA [{' '.join(POSITIONAL_NAMES)}]")
    config = parse_sizes(rest[1:])
    config.train.data = rest[0]
    config.validate()
    vocab = _vocab_beside(checkpoint_path) if checkpoint_path else None
    code, info = run_training(config, init_weights=checkpoint_path, init_vocab=vocab)
    if info.file(runs.MODEL_FILE).is_file():
        shutil.copyfile(info.file(runs.MODEL_FILE), SEED_MODEL_FILE)
        shutil.copyfile(info.file(runs.VOCAB_FILE), SEED_VOCAB_FILE)
        m = config.model
        print(f"saved {SEED_MODEL_FILE} and {SEED_VOCAB_FILE} (run {info.run_id})")
        print(
            "probe it with:\n  python -m tofy_core --diff "
            f"{SEED_MODEL_FILE} {SEED_VOCAB_FILE} {m.dim} {m.max_seq} {m.layers} {m.heads}"
        )
    return code


def _vocab_beside(checkpoint_path: Path) -> Path | None:
    """The vocabulary that belongs to a checkpoint: the run's vocab.txt, or the seed's
    vocab_latent.txt next to it. None: build it from the data (sizes must then match)."""
    for name in (runs.VOCAB_FILE, SEED_VOCAB_FILE):
        candidate = checkpoint_path.parent / name
        if candidate.is_file():
            return candidate
    return None
