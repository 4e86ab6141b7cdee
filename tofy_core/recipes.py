"""Training recipes: which loss a run trains with, apart from its sizes (presets). `tofy`, the
default, is what the quality benchmark measured best on real English text; `seed` is the
original loss, kept reachable (`tofy train --recipe seed`). Options given explicitly win.

The dataclass defaults in config.py stay the seed's, so a run from before recipes existed
reads back (and resumes) exactly as it trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tofy_core.errors import ConfigError

if TYPE_CHECKING:
    from tofy_core.config import RunConfig


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str
    model: dict[str, Any]
    train: dict[str, Any]


SEED_LOSS = {
    "contrast": "teacher",
    "temperature": 0.05,
    "mse_weight": 20.0,
    "ce_weight": 1.0,
    "align_weight": 0.1,
    "ema_start": 0.996,
    "ema_end": 1.0,
}

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            "tofy",
            "a learned word prior beside the cosine; the contrastive loss trains the "
            "embedding table it scores against; a faster EMA teacher (momentum 0.99) gives "
            "the targets; embedding rows start wider (std 0.3), so words are not drowned by "
            "the position table at the start",
            {"word_prior": True, "embed_std": 0.3},
            {**SEED_LOSS, "contrast": "online", "ema_start": 0.99, "ema_end": 0.99},
        ),
        Recipe(
            "seed",
            "the original loss: cosine only, contrasted against the EMA teacher's table",
            {"word_prior": False, "embed_std": 0.02},
            SEED_LOSS,
        ),
    )
}
DEFAULT_RECIPE = "tofy"
# The TrainConfig fields a recipe sets, each with its own `tofy train` option.
RECIPE_OPTIONS = ("temperature", "mse_weight", "ce_weight", "align_weight", "ema_start", "ema_end")


def apply_recipe(config: RunConfig, name: str) -> RunConfig:
    """Set `config`'s loss to the named recipe (and record its name); unknown names list the
    known ones."""
    recipe = RECIPES.get(name)
    if recipe is None:
        raise ConfigError(f"no recipe {name!r}: pick one of {', '.join(RECIPES)}", field="recipe")
    for key, value in recipe.model.items():
        setattr(config.model, key, value)
    for key, value in recipe.train.items():
        setattr(config.train, key, value)
    config.train.recipe = name
    return config
