"""A side of a token cache as the sampler and the measures read it: flat ids and phrase offsets,
memory-mapped, cut into rows of `width` exactly as `TokenTable.from_phrases` cuts phrases,
and mapped to a run's vocabulary one batch at a time. Nothing is loaded whole: a batch reads
its rows' ids from the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tofy_core.data.masking import TokenTable
from tofy_core.data.vocab import FIRST_WORD_ID, PAD_ID


def open_array(path: Path, dtype, count: int) -> np.ndarray:
    """A read-only memory map of `count` values (an empty array for none: mmap refuses 0)."""
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))


class FlatTable:
    """Rows of at most `width` ids: each phrase whole when it fits, else cut into windows of
    `width` (a last window under 2 tokens dropped), in phrase order. `lut` maps the cache's
    rank ids to the run's vocabulary ids."""

    def __init__(
        self,
        tokens: np.ndarray,
        offsets: np.ndarray,
        width: int,
        lut: np.ndarray,
        longest: int,
        counts: np.ndarray | None = None,
    ) -> None:
        self.tokens, self.offsets, self.width, self.lut = tokens, offsets, width, lut
        self.counts = counts  # training counts per rank id (from FIRST_WORD_ID), if known
        self.cut = longest > width
        if self.cut:  # rows differ from phrases: their starts and lengths, 12 bytes a row
            self.starts, self.row_lengths = _windows(np.asarray(offsets), width)
        else:
            self.starts = offsets[:-1]
            self.row_lengths = None

    def __len__(self) -> int:
        return len(self.starts)

    def _lengths_of(self, rows: np.ndarray) -> np.ndarray:
        if self.row_lengths is not None:
            return self.row_lengths[rows]
        return self.offsets[rows + 1] - self.offsets[rows]

    def rows(self, indices: torch.Tensor) -> torch.Tensor:
        """The chosen rows as int64 vocabulary ids, trimmed to the longest of them."""
        rows = indices.numpy()
        starts = np.asarray(self.starts[rows], dtype=np.int64)
        lengths = np.asarray(self._lengths_of(rows), dtype=np.int64)
        width = int(lengths.max())
        place = np.arange(width, dtype=np.int64)
        real = place < lengths[:, None]
        where = np.where(real, starts[:, None] + place, 0)
        ids = self.lut[self.tokens[where]].astype(np.int64)
        ids[~real] = PAD_ID
        return torch.from_numpy(ids)

    @property
    def lengths(self) -> torch.Tensor:
        """Every row's length (a tensor of all rows: for measurements, not the sampler)."""
        all_rows = np.arange(len(self), dtype=np.int64)
        return torch.from_numpy(np.asarray(self._lengths_of(all_rows), dtype=np.int64))

    def word_counts(self, vocab_size: int) -> torch.Tensor:
        """How often each real word occurs in the rows, as `TokenTable.word_counts` counts
        it: from the cache's counts, less the tokens of dropped one-token windows."""
        if self.counts is None:
            raise ValueError("this side has no word counts")
        ranks = np.arange(FIRST_WORD_ID, FIRST_WORD_ID + len(self.counts))
        per_rank = self.counts.copy()
        if self.cut:
            lengths = np.diff(np.asarray(self.offsets))
            dropped = (lengths > self.width) & (lengths % self.width == 1)
            last = np.asarray(self.tokens[np.asarray(self.offsets)[1:][dropped] - 1])
            np.subtract.at(per_rank, last - FIRST_WORD_ID, 1)
        out = np.zeros(max(vocab_size, FIRST_WORD_ID), dtype=np.int64)
        ids = self.lut[ranks]
        keep = ids < vocab_size
        np.add.at(out, ids[keep], per_rank[keep])
        return torch.from_numpy(out[FIRST_WORD_ID:vocab_size])

    def head_table(self, phrases: int) -> TokenTable:
        """The first `phrases` phrases as an in-memory TokenTable (the scored held-out set)."""
        count = min(phrases, len(self.offsets) - 1)
        ends = np.asarray(self.offsets[: count + 1])
        ids = self.lut[np.asarray(self.tokens[: int(ends[-1])])].tolist()
        return TokenTable.from_phrases(
            [ids[ends[i] : ends[i + 1]] for i in range(count)], self.width
        )


def _windows(offsets: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of every window of every phrase, in order."""
    lengths = np.diff(offsets)
    count = -(-lengths // width)
    last = lengths - (count - 1) * width
    count -= last < 2
    first = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=first[1:])
    within = np.arange(int(first[-1]), dtype=np.int64) - np.repeat(first[:-1], count)
    starts = np.repeat(offsets[:-1], count) + within * width
    ends = np.repeat(offsets[1:], count)
    return starts, np.minimum(ends - starts, width).astype(np.int32)
