"""The seed's files and numbers, kept so its users' scripts and files still work: the names
it saves under, where a model's vocabulary lies, and the positional sizes of its command forms
(`--latent DATA [steps batch …]`, `--diff MODEL VOCAB [dim max_seq layers heads]`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tofy_core.config import ModelConfig
from tofy_core.errors import ConfigError, TofyError
from tofy_core.runs import folders as runs

if TYPE_CHECKING:
    from tofy_core.runs.checkpoint import LoadedWeights

SEED_MODEL_FILE = "model_latent.safetensors"
SEED_VOCAB_FILE = "vocab_latent.txt"
TRAINING_SIZES = ("steps", "batch", "dim", "max_seq", "layers", "heads", "max_vocab")
DIFF_SIZES = ("dim", "max_seq", "layers", "heads")


def vocab_beside(weights: Path) -> Path | None:
    """The vocabulary saved with a weights file: the run's vocab.txt, else the seed's
    vocab_latent.txt, in the same folder; None when neither is there."""
    for name in (runs.VOCAB_FILE, SEED_VOCAB_FILE):
        candidate = weights.parent / name
        if candidate.is_file():
            return candidate
    return None


def parse_sizes(values: list[str], names: tuple[str, ...], usage: str = "") -> dict[str, int]:
    """The seed form's positional numbers, named in `names` order; missing ones are left out
    (the caller's defaults stand). Each must be a positive whole number; `usage`, when given,
    ends every message."""
    hint = f" ({usage})" if usage else ""
    if len(values) > len(names):
        raise TofyError(
            f"too many numbers ({len(values)}): the seed form takes at most "
            f"{len(names)}: {' '.join(names)}{hint}"
        )
    numbers: dict[str, int] = {}
    for name, text in zip(names, values, strict=False):
        try:
            value = int(text)
        except ValueError:
            raise TofyError(f"{name} must be a whole number, got {text!r}{hint}") from None
        if value <= 0:
            raise TofyError(f"{name} must be positive, got {value}{hint}")
        numbers[name] = value
    return numbers


@dataclass(frozen=True)
class SeedSizes:
    """Sizes given on the seed's command line; None = not given (taken from the file)."""

    dim: int | None = None
    max_seq: int | None = None
    layers: int | None = None
    heads: int | None = None


def model_config_for(weights: LoadedWeights, sizes: SeedSizes, path: Path) -> ModelConfig:
    """Sizes from the file's metadata, or from tensor shapes for a seed file (which records
    neither heads nor max_seq); any size the user gave must agree with the file."""
    from tofy_core.runs.checkpoint import infer_seed_config

    tensors = weights.tensors
    if weights.config is not None:
        config = weights.config
        config.vocab_size = int(tensors["encoder.embed.weight"].shape[0])
    else:
        config = infer_seed_config(
            tensors,
            heads=sizes.heads or ModelConfig.heads,
            max_seq=sizes.max_seq or ModelConfig.max_seq,
        )
    for name in ("dim", "layers", "max_seq", "heads"):
        given = getattr(sizes, name)
        if given is not None and given != getattr(config, name):
            raise ConfigError(
                f"{path} has {name} {getattr(config, name)}, but {given} was given: "
                f"leave it out or pass {getattr(config, name)}",
                field=name,
            )
    return config
