"""From the first pass's arrays to a token cache's files: exact duplicates dropped by hash, the
held-out split, the words in vocabulary order, and both sides written as flat ids + offsets.

The split is today's rule, reproduced exactly: the distinct phrases in first-seen order,
shuffled by `random.Random(seed)`, the first `holdout_count` held out. The shuffle runs over
an array of phrase numbers (8 bytes each), never over the phrases. Word ids are ranks: the
specials, then the training side's words by count descending, ties by text (the vocabulary's
order, so a vocabulary capped at N is the first N ids), then words only the held-out side has.
"""

from __future__ import annotations

import contextlib
import mmap
import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tofy_core.data.first_pass import PassResult
from tofy_core.data.holdout import holdout_count
from tofy_core.data.vocab import FIRST_WORD_ID

GATHER_TOKENS = 1 << 20  # tokens gathered at once while writing a side (~30 MB of temporaries)


@dataclass
class SideFiles:
    """One side written: its phrase count, token count and longest phrase."""

    phrases: int
    tokens: int
    longest: int


class MappedTokens:
    """The first pass's token file mapped read-only. `release()` drops the pages read so far
    from this process (they stay in the page cache, a later read maps them again): the file
    holds 4 bytes a token, more than all else the build keeps, and the gathers read all of it,
    so without it the whole file would end up counted in the process's memory."""

    def __init__(self, path: Path, count: int) -> None:
        self._handle = path.open("rb")
        self._map = mmap.mmap(self._handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.tokens = np.frombuffer(self._map, dtype=np.int32, count=count)

    def release(self) -> None:
        if hasattr(mmap, "MADV_DONTNEED"):  # not on every platform
            self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        del self.tokens  # the array's hold on the map, which cannot close while it lasts
        with contextlib.suppress(BufferError):  # a traceback's view: the collector closes it
            self._map.close()
        self._handle.close()


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
    tokens: np.ndarray,
    offsets: np.ndarray,
    train: np.ndarray,
    words: int,
    release: Callable[[], None] = lambda: None,
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
        release()
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
    release: Callable[[], None] = lambda: None,
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
            release()
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
    mapped = MappedTokens(result.tokens_path, int(offsets[-1]))
    try:
        return _build(result, mapped, offsets, folder, holdout, seed)
    finally:
        mapped.close()


def _build(
    result: PassResult,
    mapped: MappedTokens,
    offsets: np.ndarray,
    folder: Path,
    holdout: float,
    seed: int,
) -> tuple[dict[str, SideFiles], int, int]:
    tokens, release = mapped.tokens, mapped.release
    train, held = split_indices(result.hashes, holdout, seed)
    counts = train_counts(tokens, offsets, train, len(result.words), release)
    order, trained = word_order(result.words, counts)
    rank = np.empty(len(order), dtype=np.int32)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
    rank += FIRST_WORD_ID
    text = "".join(result.words[i] + "\n" for i in order)
    (folder / "words.txt").write_text(text, encoding="utf-8")
    counts[np.asarray(order, dtype=np.int64)].tofile(folder / "counts.i64")
    sides = {
        name: write_side(
            tokens, offsets, rank, chosen, folder / f"{name}.i32", folder / f"{name}.off", release
        )
        for name, chosen in (("train", train), ("heldout", held))
    }
    duplicates = len(offsets) - 1 - len(train) - len(held)
    return sides, duplicates, trained
