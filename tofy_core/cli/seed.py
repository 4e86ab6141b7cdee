"""The seed's command forms, kept so its users' scripts still work:

    --latent DATA [steps batch dim max_seq layers heads max_vocab]
    --latent-from-checkpoint CKPT DATA [steps batch dim max_seq layers heads max_vocab]

and the same without dashes. They train a normal run, then also write
`model_latent.safetensors` and `vocab_latent.txt` in the current folder."""

from __future__ import annotations

import sys
from pathlib import Path

from tofy_core.cli.train import run_training
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.errors import TofyError
from tofy_core.fsutil import atomic_write_bytes
from tofy_core.runs import folders as runs
from tofy_core.runs.seed_format import (
    SEED_MODEL_FILE,
    SEED_VOCAB_FILE,
    TRAINING_SIZES,
    parse_sizes,
    vocab_beside,
)

LATENT_FORMS = ("--latent", "latent")
FROM_CHECKPOINT_FORMS = ("--latent-from-checkpoint", "latent-from-checkpoint")

SEED_USAGE = """seed forms:
  tofy --latent DATA [steps batch dim max_seq layers heads max_vocab]
  tofy --latent-from-checkpoint CKPT DATA [steps batch dim max_seq layers heads max_vocab]
  tofy --diff MODEL VOCAB [dim max_seq layers heads]"""


def is_seed_training_form(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in LATENT_FORMS + FROM_CHECKPOINT_FORMS


def seed_config(values: list[str]) -> RunConfig:
    """The seed's positional numbers, in order, over the defaults."""
    numbers = parse_sizes(values, TRAINING_SIZES)
    model_keys = ("dim", "max_seq", "layers", "heads", "max_vocab")
    model = ModelConfig(**{k: v for k, v in numbers.items() if k in model_keys})
    train = TrainConfig(**{k: v for k, v in numbers.items() if k in ("steps", "batch")})
    return RunConfig(model, train)


def run_seed_training(argv: list[str]) -> int:
    form, rest = argv[0], argv[1:]
    checkpoint_path = None
    if form in FROM_CHECKPOINT_FORMS:
        if len(rest) < 2:
            raise TofyError(f"usage: {form} CKPT DATA [{' '.join(TRAINING_SIZES)}]")
        checkpoint_path, rest = Path(rest[0]), rest[1:]
        if not checkpoint_path.is_file():
            raise TofyError(f"checkpoint {checkpoint_path} does not exist")
    if not rest:
        raise TofyError(f"usage: {form} DATA [{' '.join(TRAINING_SIZES)}]")
    config = seed_config(rest[1:])
    config.train.data = rest[0]
    config.validate()
    vocab = vocab_beside(checkpoint_path) if checkpoint_path else None
    code, info = run_training(config, init_weights=checkpoint_path, init_vocab=vocab)
    if info.file(runs.MODEL_FILE).is_file():
        pairs = ((runs.MODEL_FILE, SEED_MODEL_FILE), (runs.VOCAB_FILE, SEED_VOCAB_FILE))
        for source, target in pairs:
            if Path(target).is_symlink():  # replaced by a file, never written through
                print(f"note: {target} was a symbolic link: replaced by a file", file=sys.stderr)
            atomic_write_bytes(Path(target), info.file(source).read_bytes())
        m = config.model
        print(f"saved {SEED_MODEL_FILE} and {SEED_VOCAB_FILE} (run {info.run_id})")
        print(
            "probe it with:\n  python -m tofy_core --diff "
            f"{SEED_MODEL_FILE} {SEED_VOCAB_FILE} {m.dim} {m.max_seq} {m.layers} {m.heads}"
        )
    return code
