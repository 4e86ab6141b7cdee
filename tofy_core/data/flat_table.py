"""A side of a token cache as the sampler and the measures read it: flat ids and phrase offsets,
memory-mapped, cut into rows of `width` exactly as `TokenTable.from_phrases` cuts phrases,
and mapped to a run's vocabulary one batch at a time. Nothing is loaded whole: a batch reads
its rows' ids from the file."""

from __future__ import annotations

import mmap
import os
import weakref
from pathlib import Path

import numpy as np
import torch

from tofy_core.data.masking import TokenTable
from tofy_core.data.vocab import FIRST_WORD_ID, PAD_ID


def open_array(path: Path, dtype, count: int) -> np.ndarray:
    """A read-only memory map of `count` values (an empty array for none: mmap refuses 0),
    marked for random access: the sampler reads scattered rows, and the kernel's read-ahead
    would otherwise map most of the file into the process for a few of them."""
    if count == 0:
        return np.zeros(0, dtype=dtype)
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    return np.frombuffer(mapped, dtype=dtype, count=count)


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
        files: tuple[Path, Path] | None = None,
    ) -> None:
        self.tokens, self.offsets, self.width, self.lut = tokens, offsets, width, lut
        # a batch's rows are read from the files (tokens, offsets) by pread when given
        self.files = None if files is None else (_Pread(files[0], 4), _Pread(files[1], 8))
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

    def _bounds(self, phrases: np.ndarray, scattered: bool) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of each phrase: a few scattered ones read by pread, many at once
        from the memory map."""
        if scattered and self.files is not None:
            pairs = [self.files[1].take(int(p), 2) for p in phrases]
            both = np.stack(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
            return both[:, 0].astype(np.int64), both[:, 1].astype(np.int64)
        return np.asarray(self.offsets[phrases]), np.asarray(self.offsets[phrases + 1])

    def _place(self, rows: np.ndarray, scattered: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Where each row's ids start in `tokens`, and how many it has."""
        rows = rows.astype(np.int64)
        if not len(self.long):
            starts, ends = self._bounds(rows, scattered)
            return starts, ends - starts
        k = np.searchsorted(self.long_first_row, rows, side="right") - 1
        known = k >= 0
        kk = np.where(known, k, 0)
        window = rows - self.long_first_row[kk]
        inside = known & (window < self.long_windows[kk])
        phrase = rows - np.where(known, self.extra_through[kk], 0)
        phrase = np.where(inside, self.long[kk], phrase)
        starts, ends = self._bounds(phrase, scattered)
        lengths = ends - starts
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
        if self.files is not None:
            raw = np.zeros(real.shape, dtype=np.int64)
            places = zip(starts.tolist(), lengths.tolist(), strict=True)
            for i, (start, length) in enumerate(places):
                raw[i, :length] = self.files[0].take(start, length)
        else:
            raw = self.tokens[np.where(real, starts[:, None] + place, 0)]
        ids = self.lut[raw].astype(np.int64)
        ids[~real] = PAD_ID
        return torch.from_numpy(ids)

    @property
    def lengths(self) -> torch.Tensor:
        """Every row's length (a tensor of all rows: for measurements, not the sampler)."""
        _, lengths = self._place(np.arange(len(self), dtype=np.int64), scattered=False)
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


class _Pread:
    """Values at scattered places of a flat file, read by pread: nothing stays mapped into
    the process, so memory while training does not grow with the file."""

    def __init__(self, path: Path, size: int) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        self.dtype = np.dtype(f"<i{size}")
        weakref.finalize(self, os.close, self.fd)

    def take(self, first: int, count: int) -> np.ndarray:
        size = self.dtype.itemsize
        data = os.pread(self.fd, size * count, size * first)
        return np.frombuffer(data, dtype=self.dtype)


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
