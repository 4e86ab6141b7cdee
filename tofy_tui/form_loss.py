"""The form's loss settings: the recipe (a choice) and its six numbers, each empty unless the
user changes it ("empty = the recipe's value"), so picking a recipe needs no refill and the
form builds exactly what `tofy train --recipe NAME` builds."""

from __future__ import annotations

from tofy_core.config import RunConfig
from tofy_core.recipes import RECIPE_OPTIONS, RECIPES, apply_recipe

LOSS_LABELS = {
    "temperature": ("Temperature", "softmax temperature of the cosine scores"),
    "mse_weight": ("MSE weight", "weight of the squared distance to the target"),
    "ce_weight": ("CE weight", "weight of the contrastive cross-entropy"),
    "align_weight": ("Align weight", "weight of the encoder state's cosine to the target"),
    "ema_start": ("EMA start", "teacher momentum at the start"),
    "ema_end": ("EMA end", "teacher momentum at the end (1: the teacher stops)"),
}
RECIPE_HELP = "the loss: " + "; ".join(f"{name}" for name in RECIPES) + " (tofy: the default)"


def loss_field_specs() -> list[tuple[str, str, str, str]]:
    """(name, label, help, kind) of the loss fields, the recipe first."""
    specs = [("recipe", "Recipe", RECIPE_HELP, "choice")]
    for name in RECIPE_OPTIONS:
        label, what = LOSS_LABELS[name]
        specs.append((name, label, f"{what}; empty = the recipe's", "auto_float"))
    return specs


def loss_values(config: RunConfig) -> dict[str, str]:
    """The form's text for the loss fields: the run's recipe (a run from before recipes
    trained the seed's loss) and each number only where it differs from that recipe's."""
    recipe = config.train.recipe if config.train.recipe in RECIPES else "seed"
    own = RECIPES[recipe].train
    values = {"recipe": recipe}
    for name in RECIPE_OPTIONS:
        value = getattr(config.train, name)
        values[name] = "" if value == own[name] else repr(value)
    return values


def apply_loss(config: RunConfig, parsed: dict[str, object]) -> RunConfig:
    """Lay the chosen recipe over `config`, then the numbers the user gave."""
    apply_recipe(config, str(parsed["recipe"]))
    for name in RECIPE_OPTIONS:
        if parsed.get(name) is not None:
            setattr(config.train, name, parsed[name])
    return config
