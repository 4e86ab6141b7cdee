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
    rank ids to the run's vocabulary ids. Only the phrases longer than `width` (`long`, found
    by `long_phrases`) are indexed in memory; a row of any other phrase is found by arithmetic,
    so memory does not grow with the corpus."""

    def __init__(
        self,
        tokens: np.ndarray,
        offsets: np.ndarray,
        width: int,
        lut: np.ndarray,
        long: np.ndarray | None = None,
        counts: np.ndarray | None = None,
    ) -> None:
        self.tokens, self.offsets, self.width, self.lut = tokens, offsets, width, lut
        self.counts = counts  # training counts per rank id (from FIRST_WORD_ID), if known
        self.long = np.zeros(0, dtype=np.int64) if long is None else long
        ends = np.asarray(offsets[self.long + 1]) if len(self.long) else self.long
        self.long_lengths = ends - np.asarray(offsets[self.long]) if len(self.long) else ends
        windows = -(-self.long_lengths // width)
        windows -= (self.long_lengths - (windows - 1) * width) < 2
        self.long_windows = windows
        extra = np.cumsum(windows - 1)
        self.extra_through = extra  # extra rows up to and including each long phrase
        self.long_first_row = self.long + extra - (windows - 1)
        self.count = len(offsets) - 1 + (int(extra[-1]) if len(extra) else 0)

    def __len__(self) -> int:
        return self.count

    def _place(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each row's ids start in `tokens`, and how many it has."""
        rows = rows.astype(np.int64)
        if not len(self.long):
            starts = np.asarray(self.offsets[rows])
            return starts, np.asarray(self.offsets[rows + 1]) - starts
        k = np.searchsorted(self.long_first_row, rows, side="right") - 1
        known = k >= 0
        kk = np.where(known, k, 0)
        window = rows - self.long_first_row[kk]
        inside = known & (window < self.long_windows[kk])
        phrase = rows - np.where(known, self.extra_through[kk], 0)
        phrase = np.where(inside, self.long[kk], phrase)
        starts = np.asarray(self.offsets[phrase])
        lengths = np.asarray(self.offsets[phrase + 1]) - starts
        cut = np.minimum(self.long_lengths[kk] - window * self.width, self.width)
        return (
            np.where(inside, starts + window * self.width, starts),
            np.where(inside, cut, lengths),
        )

    def rows(self, indices: torch.Tensor) -> torch.Tensor:
        """The chosen rows as int64 vocabulary ids, trimmed to the longest of them."""
        starts, lengths = self._place(indices.numpy())
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
        _, lengths = self._place(np.arange(len(self), dtype=np.int64))
        return torch.from_numpy(lengths.astype(np.int64))

    def word_counts(self, vocab_size: int) -> torch.Tensor:
        """How often each real word occurs in the rows, as `TokenTable.word_counts` counts
        it: from the cache's counts, less the tokens of dropped one-token windows."""
        if self.counts is None:
            raise ValueError("this side has no word counts")
        ranks = np.arange(FIRST_WORD_ID, FIRST_WORD_ID + len(self.counts))
        per_rank = self.counts.copy()
        dropped = self.long[self.long_lengths % self.width == 1]  # a one-token last window
        if len(dropped):
            last = np.asarray(self.tokens[np.asarray(self.offsets[dropped + 1]) - 1])
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


def long_phrases(path: Path, phrases: int, width: int, longest: int) -> np.ndarray:
    """The numbers of the phrases longer than `width`, read from an offsets file in slices
    (plain reads: the whole file never becomes part of the process's memory)."""
    if longest <= width or phrases == 0:
        return np.zeros(0, dtype=np.int64)
    found = []
    step = 1 << 20
    with path.open("rb") as handle:
        for first in range(0, phrases, step):
            handle.seek(8 * first)
            part = np.fromfile(handle, dtype=np.int64, count=min(step, phrases - first) + 1)
            found.append(np.flatnonzero(np.diff(part) > width) + first)
    return np.concatenate(found).astype(np.int64)
