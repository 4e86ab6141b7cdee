"""The token cache gives exactly what the in-memory build gives (split, vocabulary, rows, word
counts, held-out sample, and so the same losses), is built once and reused, is rebuilt with one
line when damaged, and its first pass gives the same result in one chunk or many, inline or in
worker processes."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_MODEL_ARGS, run_cli
from hub_helpers import write_parquet
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.first_pass import first_pass
from tofy_core.data.split import prepare_data, prepare_in_memory
from tofy_core.data.text import load_corpus
from tofy_core.data.token_cache import tokens_dir
from tofy_core.data.vocab import Vocab
from tofy_core.errors import DataError
from tofy_core.runs import folders as runs
from tofy_core.runs.summary import RunSummary
from tofy_core.train.trainer import Trainer
from tofy_tui.run_watch import WatchedRun
from tofy_tui.widgets.run_detail import detail_text

HINDI = "नमस्ते दोस्त, आप कैसे हैं?"


def mixed_corpus(tmp_path: Path) -> Path:
    """Duplicates (also by case), Hindi, NFD accents, a BOM, CRLF, pairs, short and blank lines,
    and a phrase longer than the tests' max_seq."""
    nfd = unicodedata.normalize("NFD", "café crème brûlée au déjeuner")
    lines = [
        "\ufeffhello there, how are you?",
        "Hello there, how are you?\tfine",
        "hello there, how are you?",
        HINDI,
        HINDI + "|||जवाब",
        nfd,
        unicodedata.normalize("NFC", nfd),
        "one",
        "   ",
        "\tonly a reply",
        "it's the cat’s toy, isn't it?\r",
        " ".join(f"w{i % 7}" for i in range(40)),
        " ".join(f"w{i % 5}" for i in range(33)),  # 33 = 2×16 + 1: a one-token window dropped
        " ".join(f"v{i % 4}" for i in range(17)),  # 17 = 16 + 1: one window, cut short
        *(f"line {i} of the generated part, word{i % 13} and more{i % 3}" for i in range(300)),
        *(f"line {i} of the generated part, word{i % 13} and more{i % 3}" for i in range(40)),
    ]
    path = tmp_path / "mixed.txt"
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n")
    return path


def config_for(data: str, max_seq: int = 16, max_vocab: int = 60, **train) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_seq=max_seq, max_vocab=max_vocab)
    defaults = dict(steps=6, batch=4, log_every=2, eval_every=3, checkpoint_every=100)
    return RunConfig(model, TrainConfig(data=data, **{**defaults, **train})).validate()


def assert_same_data(config: RunConfig, vocab: Vocab | None = None) -> None:
    cached, memory = prepare_data(config, vocab), prepare_in_memory(config, vocab)
    assert cached.sizes() == memory.sizes()
    assert cached.corpus.skipped == memory.corpus.skipped
    assert cached.vocab.tokens == memory.vocab.tokens
    every = torch.arange(len(memory.train_table))
    assert torch.equal(cached.train_table.rows(every), memory.train_table.rows(every))
    assert torch.equal(cached.train_table.lengths, memory.train_table.lengths)
    size = len(memory.vocab)
    assert torch.equal(cached.train_table.word_counts(size), memory.train_table.word_counts(size))
    assert torch.equal(cached.eval_table.ids, memory.eval_table.ids)


@pytest.mark.parametrize("max_seq,max_vocab,holdout,seed", [(16, 60, 0.1, 0), (72, 32000, 0.3, 7)])
def test_the_cache_reproduces_the_in_memory_split_and_vocab(
    tmp_path, max_seq, max_vocab, holdout, seed
):
    config = config_for(str(mixed_corpus(tmp_path)), max_seq, max_vocab, holdout=holdout, seed=seed)
    assert_same_data(config)
    config.model.lowercase = False
    assert_same_data(config)


def test_the_cache_reproduces_the_embedded_corpus():
    assert_same_data(config_for("", max_seq=72, max_vocab=2000, eval_phrases=50))


def test_a_given_vocabulary_maps_the_same_as_encoding_with_it(tmp_path):
    config = config_for(str(mixed_corpus(tmp_path)))
    own = prepare_in_memory(config).vocab
    assert_same_data(config, own)  # resume: the run's own vocabulary
    other = Vocab([*own.tokens[:3], "and", "how", "नमस्ते", "zzz", *reversed(own.tokens[3:20])])
    assert_same_data(config, other)  # --init-vocab: any other


def test_many_chunks_in_worker_processes_match_one_chunk(tmp_path):
    data = mixed_corpus(tmp_path)
    one = first_pass(data, True, tmp_path / "one.i32")
    many = first_pass(data, True, tmp_path / "many.i32", chunk_bytes=256, workers=1)
    assert many.words == one.words and many.skipped == one.skipped
    assert (many.lengths == one.lengths).all() and (many.hashes == one.hashes).all()
    assert (tmp_path / "one.i32").read_bytes() == (tmp_path / "many.i32").read_bytes()


def test_a_bad_line_is_named_from_any_chunk(tmp_path):
    data = tmp_path / "bad.txt"
    data.write_bytes(b"a fine line here\n" * 50 + b"caf\xe9 is latin-1\n" + b"more text\n" * 5)
    with pytest.raises(DataError, match="line 51 is not valid UTF-8"):
        first_pass(data, True, tmp_path / "t.i32", chunk_bytes=64, workers=1)


def test_the_second_start_reads_the_cache_and_a_damaged_entry_is_rebuilt(tmp_path):
    config = config_for(str(mixed_corpus(tmp_path)))
    first = prepare_data(config).corpus.tokens
    assert not first.cached and first.entry.manifest["source"] == config.train.data
    again = prepare_data(config).corpus.tokens
    assert again.cached and again.entry.folder == first.entry.folder
    config.model.max_vocab, config.model.max_seq = 40, 8  # applied on opening: same entry
    assert prepare_data(config).corpus.tokens.cached

    (first.entry.folder / "train.i32").write_bytes(b"\x00" * 12)  # truncated
    rebuilt = prepare_data(config).corpus.tokens
    assert not rebuilt.cached and "train.i32" in rebuilt.rebuilt_because
    assert_same_data(config)
    words = first.entry.folder / "words.txt"
    words.write_text("\n".join(words.read_text(encoding="utf-8").split("\n")[:5]), "utf-8")
    assert "words.txt" in prepare_data(config).corpus.tokens.rebuilt_because
    manifest = first.entry.folder / "manifest.json"
    manifest.write_text(json.dumps({"format": 1}), encoding="utf-8")
    assert "manifest" in prepare_data(config).corpus.tokens.rebuilt_because
    entries = [p.name for p in tokens_dir().iterdir() if p.name != "sources"]
    assert entries == [first.entry.folder.name]  # no temporary folder left behind


def test_changed_text_or_split_settings_make_a_new_entry(tmp_path):
    data = mixed_corpus(tmp_path)
    config = config_for(str(data))
    folder = prepare_data(config).corpus.tokens.entry.folder
    config.train.seed = 5
    assert prepare_data(config).corpus.tokens.entry.folder != folder
    with data.open("a", encoding="utf-8") as handle:
        handle.write("a brand new phrase at the end\n")
    config.train.seed = 0
    fresh = prepare_data(config).corpus.tokens
    assert not fresh.cached and fresh.entry.folder != folder
    assert_same_data(config)


def losses(trainer: Trainer) -> list[float]:
    seen: list[float] = []
    forward = trainer.forward_loss

    def recorded(batch):
        parts = forward(batch)
        seen.append(float(parts.total.detach()))
        return parts

    trainer.forward_loss = recorded
    assert trainer.fit() == "finished"
    return seen


def test_training_from_the_cache_gives_the_in_memory_losses_bit_for_bit(tmp_path):
    config = config_for(str(mixed_corpus(tmp_path)), steps=8, pack=True)
    cached = Trainer(runs.create_run(config, "cached"), config, prepare_data(config))
    memory = Trainer(runs.create_run(config, "memory"), config, prepare_in_memory(config))
    got, expected = losses(cached), losses(memory)
    assert len(got) == 8 and got == expected


def test_the_scored_held_out_sample_is_bounded_and_recorded(tmp_path):
    data = mixed_corpus(tmp_path)
    config = config_for(str(data), eval_phrases=3)
    prepared = prepare_data(config)
    assert prepared.sizes()["heldout_phrases"] > 3 and prepared.sizes()["eval_phrases"] == 3
    args = (*TINY_MODEL_ARGS, "--steps", "4", "--eval-phrases", "3", "--run-id", "e")
    result = run_cli("train", str(data), *args)
    assert result.returncode == 0, result.stderr
    assert runs.read_config(runs.open_run("e")).train.eval_phrases == 3
    assert "tokens: cached" in result.stderr  # the entry prepare_data made above
    saved = runs.open_run("e").file(runs.CONFIG_FILE)
    old = json.loads(saved.read_text(encoding="utf-8"))
    del old["train"]["eval_phrases"]  # a run from before the option
    saved.write_text(json.dumps(old), encoding="utf-8")
    assert runs.read_config(runs.open_run("e")).train.eval_phrases == 1000


def test_tofy_cache_lists_and_clears_entries(tmp_path):
    data = mixed_corpus(tmp_path)
    first = run_cli("train", str(data), *TINY_MODEL_ARGS, "--steps", "4", "--run-id", "a")
    assert first.returncode == 0 and "tokenized into the token cache" in first.stderr
    summary = RunSummary(run_id="a", path=runs.open_run("a").path, config=config_json("a"))
    entry = next(p.name for p in tokens_dir().iterdir() if p.name != "sources")
    assert f"{entry} (in the token cache)" in detail_text(summary).plain
    listed = run_cli("cache")
    assert listed.returncode == 0 and str(data) in listed.stdout and "1 entry" in listed.stdout
    assert run_cli("cache", "clear", "--older-than", "soon").returncode == 2
    kept = run_cli("cache", "clear", "--older-than", "1d")
    assert kept.returncode == 0 and "removed 0 entries" in kept.stdout
    assert "removed 1 entry" in run_cli("cache", "clear", "--all").stdout
    assert "empty" in run_cli("cache").stdout
    assert not [p for p in tokens_dir().iterdir() if p.name != "sources"]
    assert "examples:" in run_cli("cache", "--help").stdout
    assert f"{entry} (not cached" in detail_text(summary).plain


def config_json(run_id: str) -> dict:
    return json.loads(runs.open_run(run_id).file(runs.CONFIG_FILE).read_text(encoding="utf-8"))


def test_a_parquet_folder_flows_into_the_same_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    texts = [f"row {i} from parquet, word{i % 9}" for i in range(60)]
    texts.append(texts[1])
    write_parquet(tmp_path / "folder" / "train.parquet", {"text": texts})
    config = config_for("hub:./folder")
    assert_same_data(config)
    lookup = prepare_data(config).corpus.tokens
    assert lookup.cached and lookup.entry.manifest["source"] == "hub:./folder"
    assert lookup.entry.manifest["duplicates"] == 1


class _Child:
    """A training child whose output so far is `lines`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log_tail(self, lines: int = 20) -> list[str]:
        return self.lines[-lines:]


def test_the_train_monitor_logs_the_first_pass_once_per_line():
    child = _Child()
    watched = WatchedRun("r", child=child)  # type: ignore[arg-type]
    posted: list = []
    said = watched._setup_note(posted.append, "")
    child.lines = ["run r: 1k parameters"]  # not about the data: not repeated in the log
    said = watched._setup_note(posted.append, said)
    for line in ("tokenizing (once): [###] 12% 1.0/8.0 MiB", "tokens: cached (0.01s lookup)"):
        child.lines.append(line)
        said = watched._setup_note(posted.append, said)
        said = watched._setup_note(posted.append, said)
    assert [note.text for note in posted] == [
        "tokenizing (once): [###] 12% 1.0/8.0 MiB",
        "tokens: cached (0.01s lookup)",
    ]


PIECES = st.sampled_from(
    [
        "a",
        "B",
        "x1",
        "it's",
        "’",
        ",",
        "?",
        " ",
        "  ",
        "\t",
        "|||",
        "\r",
        "\n",
        "\n\n",
        "\x1c",
        "é",
        unicodedata.normalize("NFD", "é"),
        "न",
        "्",
        "े",
        "\ufeff",
        "_",
        "Σ",
        "ß",
        "\u0301",
    ]
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(PIECES, max_size=5), max_size=30), st.booleans())
@example([["\x1c"], ["a", " ", "B"]], True)  # a line that only Python's str.strip() empties
@example([["\ufeff", "a", " ", "x1"], ["é", "\t", "x1"]], True)
def test_the_first_pass_reads_any_text_as_the_in_memory_reader_does(tmp_path, lines, lowercase):
    """In one chunk (many chunks in worker processes give the same: tested above)."""
    path = tmp_path / "any.txt"
    path.write_bytes("\n".join("".join(line) for line in lines).encode("utf-8"))
    result = first_pass(path, lowercase, tmp_path / "t.i32")
    ids = np.fromfile(tmp_path / "t.i32", dtype=np.int32).tolist()
    ends = np.cumsum(result.lengths).tolist()
    starts = [0, *ends][: len(ends)]
    phrases = [[result.words[i] for i in ids[a:b]] for a, b in zip(starts, ends, strict=True)]
    try:
        corpus = load_corpus(str(path), lowercase)
    except DataError:  # no usable line
        assert phrases == []
        return
    assert phrases == corpus.phrases and result.skipped == corpus.skipped
