"""From the first pass's arrays to a token cache's files: exact duplicates dropped by hash, the
held-out split, the words in vocabulary order, and both sides written as flat ids + offsets.

The split is today's rule, reproduced exactly: the distinct phrases in first-seen order,
shuffled by `random.Random(seed)`, the first `holdout_count` held out. The shuffle runs over
an array of phrase numbers (8 bytes each), never over the phrases. Word ids are ranks: the
specials, then the training side's words by count descending, ties by text (the vocabulary's
order, so a vocabulary capped at N is the first N ids), then words only the held-out side has.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tofy_core.data.first_pass import PassResult
from tofy_core.data.holdout import holdout_count
from tofy_core.data.vocab import FIRST_WORD_ID

GATHER_TOKENS = 8 << 20  # tokens gathered at once while writing a side


@dataclass
class SideFiles:
    """One side written: its phrase count, token count and longest phrase."""

    phrases: int
    tokens: int
    longest: int


def split_indices(hashes: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) phrase numbers, in the order each side keeps them."""
    _, first = np.unique(hashes, return_index=True)
    distinct = np.sort(first)
    order = array("q", range(len(distinct)))
    random.Random(seed).shuffle(order)  # the same swaps as on a list of phrases
    perm = np.frombuffer(order, dtype=np.int64)
    held = holdout_count(len(distinct), holdout)
    return distinct[perm[held:]], distinct[perm[:held]]


def train_counts(
    tokens: np.ndarray, offsets: np.ndarray, train: np.ndarray, words: int
) -> np.ndarray:
    """How often each word (first-seen id) occurs in the training phrases."""
    chosen = np.zeros(len(offsets) - 1, dtype=bool)
    chosen[train] = True
    counts = np.zeros(words, dtype=np.int64)
    step = max(1, GATHER_TOKENS // 16)  # phrases per slice
    for start in range(0, len(chosen), step):
        end = min(start + step, len(chosen))
        lengths = np.diff(offsets[start : end + 1])
        mask = np.repeat(chosen[start:end], lengths)
        ids = tokens[offsets[start] : offsets[end]][mask]
        counts += np.bincount(ids, minlength=words)
    return counts


def word_order(words: list[str], counts: np.ndarray) -> tuple[list[int], int]:
    """First-seen word ids in vocabulary order, and how many of them the training side has."""
    counted = counts.tolist()
    trained = sorted(np.flatnonzero(counts).tolist(), key=lambda i: (-counted[i], words[i]))
    held_only = sorted(np.flatnonzero(counts == 0).tolist(), key=words.__getitem__)
    return trained + held_only, len(trained)


def write_side(
    tokens: np.ndarray,
    offsets: np.ndarray,
    rank: np.ndarray,
    chosen: np.ndarray,
    ids_path: Path,
    offsets_path: Path,
) -> SideFiles:
    """The `chosen` phrases, in that order, as rank ids (int32) and offsets (int64)."""
    lengths = (offsets[1:] - offsets[:-1])[chosen]
    side_offsets = np.zeros(len(chosen) + 1, dtype=np.int64)
    np.cumsum(lengths, out=side_offsets[1:])
    side_offsets.tofile(offsets_path)
    with ids_path.open("wb") as out:
        start = 0
        while start < len(chosen):
            end = int(np.searchsorted(side_offsets, side_offsets[start] + GATHER_TOKENS, "right"))
            end = max(end - 1, start + 1)
            end = min(end, len(chosen))
            part = lengths[start:end]
            moved = np.repeat(offsets[chosen[start:end]] - side_offsets[start:end], part)
            moved += np.arange(side_offsets[start], side_offsets[end], dtype=np.int64)
            rank[tokens[moved]].tofile(out)
            start = end
    longest = int(lengths.max()) if len(lengths) else 0
    return SideFiles(len(chosen), int(side_offsets[-1]), longest)


def build_sides(
    result: PassResult, folder: Path, holdout: float, seed: int
) -> tuple[dict[str, SideFiles], int, int]:
    """Write `train`/`heldout` ids and offsets, `words.txt` and `counts.i64` into `folder`;
    returns the sides, the duplicates dropped and the training side's distinct words."""
    lengths = result.lengths.astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tokens = np.memmap(result.tokens_path, dtype=np.int32, mode="r", shape=(int(offsets[-1]),))
    train, held = split_indices(result.hashes, holdout, seed)
    counts = train_counts(tokens, offsets, train, len(result.words))
    order, trained = word_order(result.words, counts)
    rank = np.empty(len(order), dtype=np.int32)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
    rank += FIRST_WORD_ID
    text = "".join(result.words[i] + "\n" for i in order)
    (folder / "words.txt").write_text(text, encoding="utf-8")
    counts[np.asarray(order, dtype=np.int64)].tofile(folder / "counts.i64")
    sides = {
        name: write_side(
            tokens, offsets, rank, chosen, folder / f"{name}.i32", folder / f"{name}.off"
        )
        for name, chosen in (("train", train), ("heldout", held))
    }
    del tokens
    duplicates = len(lengths) - len(train) - len(held)
    return sides, duplicates, trained
