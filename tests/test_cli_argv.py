"""The `tofy train` command line both ways: a configuration written as arguments and read back
is the same configuration, for every preset and with every option changed."""

from __future__ import annotations

import argparse

import pytest

from tofy_core.cli import build_parser
from tofy_core.cli.argv import config_from_args, train_argv
from tofy_core.config import RunConfig
from tofy_core.presets import PRESETS, preset_config
from tofy_core.recipes import RECIPES, apply_recipe


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(["train", *argv])


def argv_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def round_trip(config: RunConfig) -> RunConfig:
    return config_from_args(parse(train_argv(config)))


def every_option_changed() -> RunConfig:
    config = preset_config("base")
    model, train = config.model, config.train
    model.dim, model.max_seq, model.layers, model.heads, model.max_vocab = 96, 40, 5, 6, 5000
    model.lowercase = False
    train.steps, train.batch, train.lr, train.eval_every = 1234, 12, 7.5e-4, 111
    train.device, train.threads, train.seed = "cpu", 3, -7
    train.masks_per_seq, train.negatives = 2, 16
    train.log_every, train.checkpoint_every, train.compile = 5, 100, True
    train.tensorboard = True
    train.pack, train.eval_phrases = False, 250
    train.name, train.data = "--odd [name]", "-odd file.txt"
    apply_recipe(config, "seed")
    train.temperature, train.mse_weight, train.ce_weight = 0.07, 5.0, 2.0
    train.align_weight, train.ema_start, train.ema_end = 0.25, 0.99, 0.999
    return config.validate()


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_survives_the_round_trip(preset):
    config = preset_config(preset)
    assert round_trip(config) == config
    config.train.data = "hub:ag_news@test"
    assert round_trip(config) == config


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_every_recipe_survives_the_round_trip(recipe):
    config = preset_config("quick", recipe)
    assert round_trip(config) == config
    assert train_argv(config)[train_argv(config).index("--recipe") + 1] == recipe


def test_a_config_with_every_option_changed_survives_the_round_trip():
    config = every_option_changed()
    assert round_trip(config) == config
    assert config != preset_config("base")


def test_every_train_option_is_written_when_changed():
    """A new `tofy train` option must be added to `train_argv` too, or this fails."""
    argv = train_argv(every_option_changed(), "rid")
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    flags = {
        action.option_strings[0]
        for action in commands.choices["train"]._actions
        if action.option_strings and action.dest not in ("help", "refresh")
    }
    written = {arg.split("=")[0] for arg in argv if arg.startswith("--") and arg != "--"}
    assert flags <= written, flags - written


def test_the_data_comes_last_and_odd_names_stay_whole():
    config = every_option_changed()
    argv = train_argv(config, "rid")
    assert argv[-2:] == ["--", "-odd file.txt"]
    assert "--name=--odd [name]" in argv
    args = parse(argv)
    assert (args.run_id, args.name, args.data) == ("rid", "--odd [name]", "-odd file.txt")


def test_defaults_the_engine_decides_are_left_out():
    config = preset_config("quick")
    argv = train_argv(config)
    assert "--threads" not in argv and "--run-id" not in argv and "--" not in argv
    assert argv[:2] == ["--preset", "quick"]
    config.train.threads = 2
    assert argv_value(train_argv(config), "--threads") == "2"
    assert round_trip(config) == config
