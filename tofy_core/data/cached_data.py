"""A run's data from the token cache: the source resolved, its entry found or built, the
vocabulary taken from the entry (or the run's own, on resume), and both sides opened
memory-mapped. The scored held-out sample (`eval_phrases`) is the only part read into memory.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from tofy_core.config import SPECIAL_TOKENS
from tofy_core.data.flat_table import FlatTable, long_phrases, open_array
from tofy_core.data.text import resolve_source
from tofy_core.data.token_cache import Entry, find_or_build
from tofy_core.data.training_data import CorpusInfo, TrainingData
from tofy_core.data.vocab import FIRST_WORD_ID, UNK_ID, Vocab, capped_vocab_size
from tofy_core.errors import TofyError

if TYPE_CHECKING:
    from tofy_core.config import RunConfig
    from tofy_core.progress import Progress


def read_words(entry: Entry, count: int | None = None) -> list[str]:
    """The entry's first `count` words (all without it), in vocabulary order."""
    with (entry.folder / "words.txt").open(encoding="utf-8", newline="\n") as handle:
        return [line.rstrip("\n") for line in islice(handle, count)]


def vocabulary_lut(entry: Entry, vocab: Vocab | None, max_vocab: int) -> tuple[Vocab, np.ndarray]:
    """The run's vocabulary and the map from the entry's rank ids to its ids. A vocabulary
    built here is the entry's first words (the same as `Vocab.build` on the training side);
    a given one that starts the same way maps by cutting off, any other word by word."""
    words = entry.manifest["words"]
    if vocab is None:
        keep = capped_vocab_size(entry.manifest["train_words"], max_vocab) - FIRST_WORD_ID
        vocab = Vocab([*SPECIAL_TOKENS, *read_words(entry, keep)])
    ranks = np.arange(FIRST_WORD_ID + words, dtype=np.int64)
    if read_words(entry, vocab.word_count()) == vocab.tokens[FIRST_WORD_ID:]:
        return vocab, np.where(ranks < len(vocab), ranks, UNK_ID)
    lut = ranks.copy()
    lut[FIRST_WORD_ID:] = [vocab.id(word) for word in read_words(entry)]
    return vocab, lut


def open_side(entry: Entry, name: str, width: int, lut: np.ndarray, counts=None) -> FlatTable:
    side = entry.side(name)
    tokens = open_array(entry.folder / f"{name}.i32", np.int32, side["tokens"])
    offsets = open_array(entry.folder / f"{name}.off", np.int64, side["phrases"] + 1)
    path = entry.folder / f"{name}.off"
    long = long_phrases(path, side["phrases"], width, side["longest"])
    files = (entry.folder / f"{name}.i32", path) if side["tokens"] else None
    return FlatTable(tokens, offsets, width, lut, long, counts, files)


def load_cached(
    config: RunConfig,
    vocab: Vocab | None = None,
    refresh: bool = False,
    progress: Progress | None = None,
    scan: Callable[[int, int], None] | None = None,
) -> TrainingData:
    """The run's TrainingData, read through the token cache. `progress` follows a `hub:`
    conversion, `scan(bytes read, total)` a first pass."""
    path, shown, from_hub_cache = resolve_source(config.train.data, refresh, progress)
    train = config.train
    lookup = find_or_build(path, shown, config.model.lowercase, train.holdout, train.seed, scan)
    entry = lookup.entry
    vocab, lut = vocabulary_lut(entry, vocab, config.model.max_vocab)
    if vocab.word_count() < 2:
        raise TofyError(f"{shown} yields fewer than 2 distinct words: give more text")
    width = config.model.max_seq
    counts = open_array(entry.folder / "counts.i64", np.int64, entry.manifest["words"])
    train_table = open_side(entry, "train", width, lut, counts)
    held = open_side(entry, "heldout", width, lut)
    eval_table = held.head_table(train.eval_phrases)
    if len(train_table) == 0:
        raise TofyError(f"{shown} has no phrase left for training after the held-out split")
    sides = entry.manifest["sides"]
    corpus = CorpusInfo(shown, path, entry.manifest["skipped"], from_hub_cache, lookup)
    return TrainingData(
        corpus,
        vocab,
        train_table,
        eval_table,
        duplicates=entry.manifest["duplicates"],
        train_phrases=sides["train"]["phrases"],
        heldout_phrases=sides["heldout"]["phrases"],
        eval_phrases=min(train.eval_phrases, sides["heldout"]["phrases"]),
    )
