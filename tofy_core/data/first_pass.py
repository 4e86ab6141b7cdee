"""The first pass over a data file: read in chunks, tokenize in worker processes, and collect
per phrase its token ids, length and a hash of its tokens, with the file's words numbered in
first-seen order. Memory stays a few bytes per phrase whatever the file size: the token ids go
to a file as they arrive, and no phrase is kept as Python objects.

Each line is treated exactly as `text.read_phrase_lines` + `text.load_corpus` treat it (the
same context side, blank and short-line counting, byte-order mark and refusals, named by line
number), so the cache holds what an in-memory read would."""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tofy_core.data.text import (
    binary_line_error,
    context_side,
    not_utf8_line_error,
    read_data_bytes,
    tokenize,
)

CHUNK_BYTES = 4 << 20  # one worker job; a line longer than this makes a longer job
BOM = b"\xef\xbb\xbf"
BYTE_SPACE = " \t\n\r\x0b\x0c"


@dataclass
class ChunkTokens:
    """One chunk's phrases: its distinct words (local ids in first-seen order), the phrases'
    token ids (flat), lengths and 8-byte token hashes, and its skipped lines; or the first
    bad line (`error`: kind, line number)."""

    words: list[str] = field(default_factory=list)
    ids: bytes = b""
    lengths: bytes = b""
    hashes: bytes = b""
    skipped: int = 0
    error: tuple[str, int] | None = None


def tokenize_chunk(job: tuple[bytes, int, bool, bool]) -> ChunkTokens:
    """Tokenize the lines of one chunk (run in a worker process: plain data in and out)."""
    raw, first_line, lowercase, strip_bom = job
    if raw.isascii() and b"\x00" not in raw:
        return _ascii_chunk(raw, lowercase)
    index: dict[str, int] = {}
    ids = array("i")
    lengths = array("i")
    hashes = array("Q")
    skipped = 0
    for number, line in enumerate(raw.split(b"\n"), start=first_line):
        if b"\x00" in line:
            return ChunkTokens(error=("binary", number))
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return ChunkTokens(error=("utf8", number))
        text = context_side(text.rstrip("\r")).strip()
        if strip_bom:  # the file's first line is its first kept one (a BOM is not blank)
            text, strip_bom = text.lstrip("\ufeff"), False
        elif not text:
            skipped += bool(line.strip())
            continue
        tokens = tokenize(text, lowercase)
        if len(tokens) < 2:
            skipped += 1
            continue
        ids.extend([index.setdefault(token, len(index)) for token in tokens])
        lengths.append(len(tokens))
        digest = hashlib.blake2b(" ".join(tokens).encode("utf-8"), digest_size=8).digest()
        hashes.append(int.from_bytes(digest, "little"))
    return ChunkTokens(
        list(index), ids.tobytes(), lengths.tobytes(), hashes.tobytes(), skipped=skipped
    )


def _ascii_chunk(raw: bytes, lowercase: bool) -> ChunkTokens:
    """`tokenize_chunk` for an ASCII chunk, the common case: decoded and lowercased at once,
    and tokenized by the plain rule (no normalisation or mark can occur)."""
    text = raw.decode("ascii")
    if lowercase:
        text = text.lower()
    index: dict[str, int] = {}
    ids = array("i")
    lengths = array("i")
    hashes = array("Q")
    skipped = 0
    blake2b = hashlib.blake2b
    for line in text.split("\n"):
        kept = context_side(line.rstrip("\r")).strip()
        if not kept:
            skipped += bool(line.strip(BYTE_SPACE))  # what bytes.strip() strips
            continue
        tokens = tokenize(kept, lowercase=False)  # lowercased above, with the chunk
        if len(tokens) < 2:
            skipped += 1
            continue
        ids.extend([index.setdefault(token, len(index)) for token in tokens])
        lengths.append(len(tokens))
        digest = blake2b(" ".join(tokens).encode("ascii"), digest_size=8).digest()
        hashes.append(int.from_bytes(digest, "little"))
    return ChunkTokens(
        list(index), ids.tobytes(), lengths.tobytes(), hashes.tobytes(), skipped=skipped
    )


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
