"""The first pass over a data file: read in chunks, tokenize in worker processes, and collect
per phrase its token ids, length and a hash of its tokens, with the file's words numbered in
first-seen order. Memory stays a few bytes per phrase whatever the file size: the token ids go
to a file as they arrive, and no phrase is kept as Python objects.

Each line is treated exactly as `text.read_phrase_lines` + `text.load_corpus` treat it (the
same context side, blank and short-line counting, byte-order mark and refusals, named by line
number), so the cache holds what an in-memory read would."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tofy_core.data.chunk_tokens import ChunkTokens, tokenize_chunk
from tofy_core.data.text import binary_line_error, not_utf8_line_error, read_data_bytes

CHUNK_BYTES = 2 << 20  # one worker job; a line longer than this makes a longer job
BOM = b"\xef\xbb\xbf"


def read_chunks(handle: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[tuple[bytes, int, int]]:
    """(whole lines, number of the first, bytes read so far) from an open file, in order."""
    rest = b""
    line = 1
    done = 0
    while True:
        block = handle.read(size)
        done += len(block)
        if not block:
            if rest:
                yield rest, line, done
            return
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        chunk, rest = block[:cut], block[cut + 1 :]
        yield chunk, line, done
        line += chunk.count(b"\n") + 1


def worker_count() -> int:
    """Worker processes for tokenizing: the cores this process may use, less one for the
    reading and merging, at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


@dataclass
class PassResult:
    """What the pass collected: token ids in `tokens_path` (int32, file order), per phrase
    its length and hash, the words by first-seen id, and the lines skipped."""

    tokens_path: Path
    lengths: np.ndarray
    hashes: np.ndarray
    words: list[str]
    skipped: int


class _Merger:
    """Renumbers each chunk's local word ids into the file's, appending the ids to a file."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.index: dict[str, int] = {}
        self.lengths: list[np.ndarray] = []
        self.hashes: list[np.ndarray] = []
        self.skipped = 0

    def add(self, path: Path, chunk: ChunkTokens) -> None:
        if chunk.error is not None:
            kind, line = chunk.error
            raise (binary_line_error if kind == "binary" else not_utf8_line_error)(path, line)
        index = self.index
        local = np.fromiter(
            (index.setdefault(word, len(index)) for word in chunk.words),
            dtype=np.int32,
            count=len(chunk.words),
        )
        if chunk.ids:
            local[np.frombuffer(chunk.ids, dtype=np.int32)].tofile(self.out)
        self.lengths.append(np.frombuffer(chunk.lengths, dtype=np.int32))
        self.hashes.append(np.frombuffer(chunk.hashes, dtype=np.uint64))
        self.skipped += chunk.skipped


def first_pass(
    path: Path,
    lowercase: bool,
    tokens_path: Path,
    report: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    workers: int | None = None,
) -> PassResult:
    """Stream `path` through the tokenizer into `tokens_path`; `report(bytes read)` as it
    goes. A file of one chunk is tokenized here, without starting workers; so is every file
    when workers cannot run (a calling script that re-runs itself when imported, as spawned
    workers import it, breaks the pool: the pass then starts again in this process)."""
    from concurrent.futures.process import BrokenProcessPool

    read_data_bytes(path, 0)  # the same refusals (missing, a folder, unreadable) as a read
    report = report or (lambda done: None)
    with path.open("rb") as handle, tokens_path.open("wb") as out:
        merger = _Merger(out)
        jobs = _jobs(read_chunks(handle, chunk_bytes), lowercase)
        pooled = os.fstat(handle.fileno()).st_size > chunk_bytes
        try:
            if pooled:
                _pooled(jobs, merger, path, workers or worker_count(), report)
        except BrokenProcessPool:
            handle.seek(0)
            out.seek(0)
            out.truncate()
            merger = _Merger(out)
            jobs = _jobs(read_chunks(handle, chunk_bytes), lowercase)
            pooled = False
        if not pooled:
            for job, done in jobs:
                merger.add(path, tokenize_chunk(job))
                report(done)
    return PassResult(
        tokens_path,
        _joined(merger.lengths, np.int32),
        _joined(merger.hashes, np.uint64),
        list(merger.index),
        merger.skipped,
    )


def _jobs(chunks, lowercase: bool) -> Iterator[tuple[tuple[bytes, int, bool, bool], int]]:
    """Each chunk as a worker's job, with the bytes read once it is done."""
    for chunk, line, done in chunks:
        yield (chunk, line, lowercase, line == 1 and chunk.startswith(BOM)), done


def _pooled(jobs, merger: _Merger, path: Path, workers: int, report) -> None:
    """Chunks tokenized by `workers` processes and this one (every `workers + 1`-th chunk),
    merged in file order, a few in flight."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the caller may hold torch's threads, which a fork would copy half-made
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: list = []
        for number, (job, done) in enumerate(jobs):
            if number % (workers + 1) == workers:  # this process takes its share too
                pending.append((_Done(tokenize_chunk(job)), done))
            else:
                pending.append((pool.submit(tokenize_chunk, job), done))
            while len(pending) > 2 * workers:
                future, merged = pending.pop(0)
                merger.add(path, future.result())
                report(merged)
        for future, merged in pending:
            merger.add(path, future.result())
            report(merged)


class _Done:
    """A chunk this process tokenized itself, read like a worker's future."""

    def __init__(self, chunk: ChunkTokens) -> None:
        self.chunk = chunk

    def result(self) -> ChunkTokens:
        return self.chunk


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
