"""The training recipes: the default trains with a word prior (started at word counts) and an
online contrastive table; the seed's loss stays one option away; the diff says which rank is
which; a run that knows less than word counts is flagged while it trains."""

from __future__ import annotations

import json

import torch
from conftest import TINY_MODEL_ARGS, run_cli
from safetensors import safe_open

from tofy_core import paths
from tofy_core.cli.diff import format_text
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.presets import preset_config
from tofy_core.probe.prober import Prober
from tofy_core.recipes import apply_recipe
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.trainer import Trainer


def tiny(data, recipe: str = "tofy", **train) -> RunConfig:
    train["data"] = str(data)
    config = RunConfig(
        ModelConfig(dim=16, layers=1, heads=2, max_vocab=500),
        TrainConfig(**{**dict(steps=30, batch=4, log_every=5, eval_every=10), **train}),
    )
    return apply_recipe(config, recipe).validate()


def trained(config: RunConfig, run_id: str) -> Trainer:
    trainer = Trainer(runs.create_run(config, run_id), config, prepare_data(config))
    assert trainer.fit() == "finished"
    return trainer


def test_the_default_recipe_is_what_tofy_train_uses_and_the_seed_loss_is_one_option_away(
    tiny_corpus,
):
    default = preset_config()
    assert default.model.word_prior and default.train.contrast == "online"
    seed = preset_config("quick", "seed")
    assert not seed.model.word_prior and seed.train.contrast == "teacher"
    assert (seed.train.temperature, seed.train.mse_weight, seed.train.ema_start) == (
        0.05,
        20.0,
        0.996,
    )
    result = run_cli(
        "train", str(tiny_corpus), *TINY_MODEL_ARGS, "--steps", "6", "--recipe", "seed",
        "--temperature", "0.1", "--run-id", "seedloss",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = paths.runs_dir() / "seedloss"
    saved = json.loads((folder / "config.json").read_text())
    assert saved["train"]["recipe"] == "seed" and saved["train"]["temperature"] == 0.1
    assert saved["model"]["word_prior"] is False
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        assert "predictor.word_prior" not in set(weights.keys())


def test_a_config_from_before_recipes_reads_back_as_the_seed_loss():
    old = RunConfig().to_dict()
    for part, name in (("model", "word_prior"), ("train", "contrast"), ("train", "recipe")):
        del old[part][name]
    config = RunConfig.from_dict(old)
    assert config.model.word_prior is False and config.train.contrast == "teacher"


def test_the_prior_starts_at_word_counts_and_is_saved_with_the_weights(tiny_corpus):
    config = tiny(tiny_corpus, steps=1)
    trainer = Trainer(runs.create_run(config, "prior"), config, prepare_data(config))
    prior = trainer.model.word_prior.detach()
    counts = trainer.word_counts
    most, least = int(counts.argmax()), int(counts.argmin())
    assert prior[most] == prior.max() and prior[least] == prior.min()
    assert trainer.fit() == "finished"
    with safe_open(str(trainer.run.file(runs.MODEL_FILE)), "pt") as weights:
        saved = weights.get_tensor("predictor.word_prior")
    assert torch.equal(saved, trainer.model.word_prior.detach())


def test_the_diff_ranks_with_the_prior_and_shows_the_cosine_rank_beside_it(tiny_corpus):
    trainer = trained(tiny(tiny_corpus), "withprior")
    prober = Prober.load(str(trainer.run.path))
    result = prober.query("so how have you _ lately? => been")
    cosines = prober._cosines(*_encoded(prober, "so how have you _ lately?"))
    scores = cosines + trainer.model.word_prior.detach()
    word = prober.vocab.id("been") - FIRST_WORD_ID
    assert result.rank == int((scores > scores[word]).sum()) + 1
    assert result.cosine_rank == int((cosines > cosines[word]).sum()) + 1
    text = format_text(prober.ask("so how have you _ lately? => been"))
    assert "cos rank" in text and "by cosine + the word's learned prior" in text


def _encoded(prober: Prober, phrase: str) -> tuple[list[int], int]:
    from tofy_core.data.vocab import MASK_ID

    query = prober.parse(phrase + " => x")
    ids = [
        MASK_ID if i == query.mask_index else prober.vocab.id(t) for i, t in enumerate(query.tokens)
    ]
    return ids, query.mask_index


def test_a_run_below_word_counts_is_flagged_once_with_a_warning_event(tmp_path):
    # Mostly "the": word counts alone put it first and score high, while an lr so small that
    # nothing is learned leaves the seed's loss ranking words by chance cosines.
    words = [f"w{i}" for i in range(150)]
    corpus = tmp_path / "the.txt"
    lines = [f"the the {words[i]} the the {words[(7 * i + 3) % 150]} the" for i in range(150)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trainer = trained(tiny(corpus, "seed", lr=1e-7, holdout=0.3, steps=40), "flat")
    events = read_events(trainer.run.file(runs.METRICS_FILE))
    evals = [e for e in events if e["event"] == "eval"]
    assert evals and all(e["top10"] < e["unigram_top10"] for e in evals)
    warnings = [e for e in events if e["event"] == "warning"]
    assert len(warnings) == 1, warnings
    (warning,) = warnings
    assert warning["code"] == "below_unigram" and warning["step"] >= 0.3 * 40
    assert "below word counts alone" in warning["message"]
