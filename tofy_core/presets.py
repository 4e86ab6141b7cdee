"""Named starting points for a run's sizes and schedule (`--preset`), apart from the settings
themselves (config.py) and the loss a run trains with (recipes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.errors import ConfigError
from tofy_core.recipes import DEFAULT_RECIPE, apply_recipe


@dataclass(frozen=True)
class Preset:
    """A named starting point for a run's sizes and schedule; explicit options override it."""

    name: str
    summary: str
    model: dict[str, Any]
    train: dict[str, Any]

    def config(self) -> RunConfig:
        return RunConfig(
            ModelConfig(**self.model), TrainConfig(**self.train, preset=self.name)
        ).validate()


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "quick",
            "about a minute on a laptop CPU: dim 64, 2 layers, 3,000 steps",
            {"dim": 64, "max_seq": 32, "layers": 2, "heads": 4},
            {"steps": 3000, "batch": 32, "lr": 1e-3, "eval_every": 250},
        ),
        Preset(
            "base",
            "the seed's sizes (~5M parameters with an 8,000-word vocabulary), 10,000 steps",
            {"dim": 272, "max_seq": 72, "layers": 3, "heads": 8, "max_vocab": 8000},
            {"steps": 10000, "batch": 32, "lr": 3e-4, "eval_every": 500},
        ),
        Preset(
            "large",
            "dim 512, 6 layers, 20,000 steps: hours on a CPU, meant for a GPU",
            {"dim": 512, "max_seq": 128, "layers": 6, "heads": 8, "max_vocab": 32000},
            {"steps": 20000, "batch": 64, "lr": 3e-4, "eval_every": 1000},
        ),
    )
}
DEFAULT_PRESET = "quick"


def preset_config(name: str = DEFAULT_PRESET, recipe: str | None = None) -> RunConfig:
    """A fresh configuration from the named preset, trained with `recipe` (None: the default
    one, recipes.DEFAULT_RECIPE); an unknown name lists the known ones."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ConfigError(f"no preset {name!r}: pick one of {', '.join(PRESETS)}", field="preset")
    return apply_recipe(preset.config(), recipe or DEFAULT_RECIPE).validate()
