"""Held-out scores measure generalisation: duplicates go before the split, the vocabulary
comes from the training phrases only, out-of-vocabulary held-out words are counted apart,
and the CLI and the TUI describe the split with the same words and numbers."""

from __future__ import annotations

import io
from pathlib import Path

import torch
from conftest import TINY_MODEL_ARGS, run_cli

from tofy_core import paths
from tofy_core.cli.console import ConsoleProgress
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.masking import TokenTable, choose_positions, eval_batches
from tofy_core.data.split import describe_split, prepare_data, split_phrases
from tofy_core.data.text import load_corpus
from tofy_core.data.vocab import UNK_ID
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.trainer import Trainer
from tofy_tui.widgets.event_log import describe_event

NAMES = ["anna", "ben", "cleo", "dev", "emil", "fay", "gus", "hana", "ivo", "jun"]
PLACES = ["park", "lake", "mall", "zoo"]


def doubled_corpus(tmp_path: Path) -> Path:
    """40 distinct phrases, each with two words of its own, every one written twice (the
    second time in capitals, with another reply): 40 duplicates."""
    pairs = [(n, p) for n in NAMES for p in PLACES]
    phrases = [f"{n} saw the {p} at gate{i} row{i}" for i, (n, p) in enumerate(pairs)]
    lines = [f"{p}?\tyes." for p in phrases] + [f"{p.upper()}?\tno." for p in phrases]
    path = tmp_path / "doubled.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config_for(data: Path, holdout: float = 0.25, **train) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    defaults = dict(steps=4, batch=4, log_every=2, eval_every=100, checkpoint_every=100)
    return RunConfig(
        model, TrainConfig(data=str(data), holdout=holdout, **{**defaults, **train})
    ).validate()


def test_duplicates_are_dropped_before_the_split_and_counted(tmp_path):
    config = config_for(doubled_corpus(tmp_path))
    data = prepare_data(config)
    sizes = data.sizes()
    assert sizes["phrases"] == 40 and sizes["duplicates"] == 40
    assert sizes["heldout_phrases"] == 10 and sizes["train_phrases"] == 30
    assert sizes["train_rows"] == 30 and sizes["eval_rows"] == 10

    train, held = split_phrases(load_corpus(config.train.data).phrases, 0.25, config.train.seed)
    assert len(train) + len(held) == 40
    assert not {tuple(p) for p in held} & {tuple(p) for p in train}  # no held-out leak


def test_the_vocab_knows_no_word_only_the_held_out_phrases_contain(tmp_path):
    config = config_for(doubled_corpus(tmp_path))
    data = prepare_data(config)
    train, held = split_phrases(load_corpus(config.train.data).phrases, 0.25, config.train.seed)
    only_held = {w for p in held for w in p} - {w for p in train for w in p}
    assert only_held  # the held-out phrases bring words of their own...
    assert not only_held & set(data.vocab.tokens)  # ...which the vocabulary must not know


def test_the_embedded_corpus_has_no_repeated_phrase():
    corpus = load_corpus("")
    assert len(corpus.phrases) == 6000
    assert len({tuple(p) for p in corpus.phrases}) == 6000


def test_held_out_words_outside_the_vocab_are_counted_not_scored(tmp_path):
    config = config_for(doubled_corpus(tmp_path))
    data = prepare_data(config)
    trainer = Trainer(runs.create_run(config, "oov"), config, data)
    assert trainer.fit() == "finished"
    [held] = [e for e in read_events(trainer.run.file(runs.METRICS_FILE)) if e["event"] == "eval"]
    # each held-out phrase masks one word, drawn among all its words, unknown ones included
    masked = torch.cat([b.targets for b in eval_batches(data.eval_table, len(data.vocab), 64)])
    unknown_targets = int((masked == UNK_ID).sum())
    assert unknown_targets > 0
    assert held["oov"] == unknown_targets and held["count"] == 10 - unknown_targets

    vocab = data.vocab
    known = vocab.encode(["anna", "saw", "the", "park", "at"])
    unknown = vocab.encode(["zyx", "wvu", "tsr"])  # every word out of the vocabulary
    table = TokenTable.from_phrases([known, unknown], max_seq=16)
    batches = eval_batches(table, len(vocab), batch=8)
    result = trainer.evaluate(batches)
    assert result is not None and result["count"] == 1 and result["oov"] == 1
    assert trainer.evaluate(eval_batches(TokenTable.from_phrases([unknown], 16), 20, 8)) is None


def test_evaluation_masks_the_same_words_as_before_when_none_is_unknown():
    """Drawing among unknown words too must not move the masks of phrases that have none,
    so held-out figures on fully known text stay comparable."""
    table = TokenTable.from_phrases([[3, 4, 5, 6], [7, 8, 9], [4, 4, 5, 6, 7, 8]], max_seq=8)
    [batch] = eval_batches(table, vocab_size=10, batch=8)
    generator = torch.Generator().manual_seed(1234)
    expected = choose_positions(table.rows(torch.arange(3)), 0.15, 1, generator)
    assert torch.equal(batch.masked, expected)


def test_the_cli_and_the_tui_show_the_same_corpus_counts(tmp_path):
    data = doubled_corpus(tmp_path)
    result = run_cli(
        "train", str(data), "--steps", "2", "--log-every", "1", *TINY_MODEL_ARGS, "--run-id", "c"
    )
    assert result.returncode == 0, result.stderr
    [start] = [
        e for e in read_events(paths.runs_dir() / "c" / runs.METRICS_FILE) if e["event"] == "start"
    ]
    # 40 distinct of 80 lines; the default 2% holds one phrase out; the vocab: 3 specials,
    # 17 shared words and `?`, and the 2 own words of each of the 39 training phrases
    line = describe_split(start["corpus"])
    assert line == "40 phrases (40 duplicates dropped): 39 training, 1 held out; vocab 99"
    assert line in result.stdout
    assert line in describe_event(start)

    printed = io.StringIO()
    ConsoleProgress(printed, live=False)(start)
    assert line in printed.getvalue()


def test_older_start_events_are_still_described():
    old = {"phrases": 770, "skipped_lines": 2, "train_rows": 1080, "eval_rows": 20, "vocab": 900}
    text = describe_split(old)
    assert text == "770 phrases (2 short lines skipped): 750 training, 20 held out; vocab 900"
