"""From a corpus to what training and evaluation read: exact duplicates dropped, a seeded
held-out split, a vocabulary from the training side only, and pre-tokenized tables.

A held-out score must measure generalisation: a held-out phrase that also occurs in training,
or a vocabulary that knows words only the held-out phrases contain, would let memorisation
pass for it. Importing this module does not import torch (the TUI shows `describe_split`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tofy_core.data.holdout import holdout_count
from tofy_core.data.text import load_corpus
from tofy_core.data.training_data import TrainingData
from tofy_core.data.vocab import SPECIAL_TOKENS, Vocab
from tofy_core.errors import TofyError

if TYPE_CHECKING:
    from tofy_core.config import RunConfig


def drop_duplicates(phrases: Sequence[Sequence[str]]) -> list[list[str]]:
    """The phrases with exact repeats (same token sequence) removed, first occurrences kept
    in their order."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for phrase in phrases:
        key = tuple(phrase)
        if key not in seen:
            seen.add(key)
            kept.append(list(phrase))
    return kept


def split_phrases(
    phrases: Sequence[Sequence[str]], holdout: float, seed: int
) -> tuple[list[list[str]], list[list[str]]]:
    """(training, held-out) phrases: the distinct phrases shuffled with `seed`, the first
    `holdout_count` of them held out."""
    distinct = drop_duplicates(phrases)
    random.Random(seed).shuffle(distinct)
    held = holdout_count(len(distinct), holdout)
    return distinct[held:], distinct[:held]


def training_word_count(phrases: Sequence[Sequence[str]], holdout: float, seed: int) -> int:
    """How many distinct words the run's vocabulary is built from (before `max_vocab` caps
    it): the training side's only, after duplicates and the held-out split, specials aside."""
    train, _ = split_phrases(phrases, holdout, seed)
    words = {token for phrase in train for token in phrase}
    return len(words - set(SPECIAL_TOKENS))


def prepare_data(
    config: RunConfig,
    vocab: Vocab | None = None,
    refresh: bool = False,
    progress=None,
    scan=None,
) -> TrainingData:
    """The run's data: duplicates dropped, held-out phrases split off and the vocab built
    from the training phrases (or the run's reused, on resume), read through the token
    cache (built on first use). `progress` follows a `hub:` conversion, `scan(bytes read,
    total)` the cache's first pass."""
    from tofy_core.data.cached_data import load_cached

    return load_cached(config, vocab, refresh, progress, scan)


def prepare_in_memory(config: RunConfig, vocab: Vocab | None = None) -> TrainingData:
    """The same data built in memory, phrase by phrase, as before the token cache: the
    reference the cache is tested against (too slow and large for big corpora)."""
    from tofy_core.data.masking import TokenTable

    corpus = load_corpus(config.train.data, config.model.lowercase)
    train_phrases, held_phrases = split_phrases(
        corpus.phrases, config.train.holdout, config.train.seed
    )
    if vocab is None:
        vocab = Vocab.build(train_phrases, config.model.max_vocab)
    if vocab.word_count() < 2:
        raise TofyError(f"{corpus.source} yields fewer than 2 distinct words: give more text")
    encode = vocab.encode
    seq = config.model.max_seq
    scored = held_phrases[: config.train.eval_phrases]
    train_table = TokenTable.from_phrases([encode(p) for p in train_phrases], seq)
    eval_table = TokenTable.from_phrases([encode(p) for p in scored], seq)
    if len(train_table) == 0:
        raise TofyError(f"{corpus.source} has no phrase left for training after the held-out split")
    return TrainingData(
        corpus,
        vocab,
        train_table,
        eval_table,
        duplicates=len(corpus.phrases) - len(train_phrases) - len(held_phrases),
        train_phrases=len(train_phrases),
        heldout_phrases=len(held_phrases),
        eval_phrases=len(scored),
    )


def describe_split(sizes: dict[str, Any]) -> str:
    """One line for people, shown alike by the CLI and the TUI, e.g. `4,903 phrases (1,097
    duplicates dropped): 4,805 training, 98 held out; vocab 2,013` (the default corpus before
    its generator wrote distinct lines). Reads the `start` event's `corpus` field, including
    the fewer counts that older runs recorded."""
    held = int(sizes.get("heldout_phrases", sizes.get("eval_rows", 0)))
    if "train_phrases" in sizes:
        train = int(sizes["train_phrases"])
        phrases = int(sizes.get("phrases", train + held))
    else:  # before duplicates were dropped: `phrases` counted all, held out included
        phrases = int(sizes.get("phrases", int(sizes.get("train_rows", 0)) + held))
        train = max(phrases - held, 0)
    notes = []
    if sizes.get("duplicates"):
        notes.append(f"{int(sizes['duplicates']):,} duplicates dropped")
    if sizes.get("skipped_lines"):
        notes.append(f"{int(sizes['skipped_lines']):,} short lines skipped")
    text = f"{phrases:,} phrases"
    if notes:
        text += f" ({', '.join(notes)})"
    text += f": {train:,} training, {held:,} held out"
    scored = sizes.get("eval_phrases")
    if scored is not None and int(scored) < held:
        text += f" ({int(scored):,} scored)"
    return text + f"; vocab {int(sizes.get('vocab', 0)):,}"
