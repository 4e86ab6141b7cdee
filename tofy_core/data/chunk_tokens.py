"""One chunk of a data file's lines tokenized: its distinct words and, per kept phrase, the
token ids, length and a hash of the tokens. Run in the first pass's worker processes (plain
data in and out).

Two paths give the same result. Any chunk can take the line-by-line one, which calls
`text.tokenize` (the reference). A chunk of ASCII text, the common case, takes a whole-chunk
one: context sides cut by one regex, the whole chunk tokenized by one bytes regex with the
newlines as tokens, the lines found again and the phrases hashed with numpy. Without the
per-line Python work the first pass takes about half the CPU time. Its regex is
`text._TOKEN` spelled for ASCII: in Unicode mode `\\s` also matches \\x1c–\\x1f,
`[^\\W_]` is `[A-Za-z0-9]`, and ’ is not ASCII. tests/test_chunk_tokens.py checks that both
paths agree on random ASCII text and on every ASCII character."""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from tofy_core.data.text import context_side, tokenize

BYTE_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips

# text._TOKEN for ASCII, with the newline a token of its own (it is not whitespace here)
_ASCII_TOKEN = re.compile(rb"[A-Za-z0-9']+|[^ \t\r\x0b\x0c\x1c-\x1f]")
_ASCII_REPLY = re.compile(rb"\t[^\n]*|\|\|\|[^\t\n]*$", re.MULTILINE)  # as context_side cuts
_ASCII_BLANK = re.compile(rb"^[ \t\r\x0b\x0c]*$", re.MULTILINE)


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
    """Tokenize the lines of one chunk: (bytes, number of its first line, lowercase, whether
    it starts with the file's byte-order mark)."""
    raw, first_line, lowercase, strip_bom = job
    if raw.isascii() and b"\x00" not in raw:
        return ascii_chunk(raw, lowercase)
    return lines_chunk(raw, first_line, lowercase, strip_bom)


def lines_chunk(raw: bytes, first_line: int, lowercase: bool, strip_bom: bool) -> ChunkTokens:
    """Any chunk, a line at a time through `text.tokenize`."""
    index: dict[str, int] = {}
    ids = array("i")
    lengths = array("i")
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
    return _chunk(
        list(index), np.frombuffer(ids, np.int32), np.frombuffer(lengths, np.int32), skipped
    )


def _chunk(words: list[str], ids: np.ndarray, lengths: np.ndarray, skipped: int) -> ChunkTokens:
    hashes = phrase_hashes(words, ids, lengths)
    return ChunkTokens(words, ids.tobytes(), lengths.tobytes(), hashes.tobytes(), skipped)


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (uint64 arithmetic wraps)."""
    values = (values ^ (values >> np.uint64(30))) * _M1
    values = (values ^ (values >> np.uint64(27))) * _M2
    return values ^ (values >> np.uint64(31))


def phrase_hashes(words: list[str], ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each phrase's token texts, equal for equal phrases in any chunk: each
    word's blake2b, times a pseudo-random odd factor per position, summed per phrase with its
    length and mixed. Only equality matters (duplicates are dropped by it), and two different
    phrases share a hash with a chance near 2⁻⁶⁴, as with a hash of the joined text."""
    blake2b = hashlib.blake2b
    digests = b"".join(blake2b(w.encode("utf-8"), digest_size=8).digest() for w in words)
    word_hash = np.frombuffer(digests, dtype=np.uint64)
    if not len(lengths):
        return np.zeros(0, dtype=np.uint64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    position = np.arange(len(ids), dtype=np.int64) - np.repeat(starts, lengths)
    factor = _mix(np.arange(1, int(lengths.max()) + 1, dtype=np.uint64) * _GOLDEN) | np.uint64(1)
    with np.errstate(over="ignore"):
        summed = np.add.reduceat(word_hash[ids] * factor[position], starts)
        return _mix(summed + lengths.astype(np.uint64) * _GOLDEN)


def ascii_chunk(raw: bytes, lowercase: bool) -> ChunkTokens:
    """An ASCII chunk (no NUL byte) tokenized whole; the same result as `lines_chunk`."""
    if lowercase:
        raw = raw.lower()
    kept = _ASCII_REPLY.sub(b"", raw) if b"\t" in raw or b"|||" in raw else raw
    tokens = _ASCII_TOKEN.findall(kept)
    index = dict.fromkeys(tokens)  # every token once, first seen first; newline among them
    for number, token in enumerate(index):
        index[token] = number
    ids = np.fromiter(map(index.__getitem__, tokens), dtype=np.int32, count=len(tokens))
    newline = ids == index.get(b"\n", -1)
    line_of = np.cumsum(newline)  # each token's line (a newline counts to the next line)
    lines = raw.count(b"\n") + 1
    lengths = np.bincount(line_of[~newline], minlength=lines)  # tokens per line
    phrase = lengths >= 2  # per line: kept as a phrase
    skipped = lines - len(_ASCII_BLANK.findall(raw)) - int(phrase.sum())
    taken = ~newline & phrase[line_of]
    ids = ids[taken]
    # the words of the kept phrases only, renumbered in first-seen order
    seen = list(index)
    if (lengths == 1).any():  # a one-token line's word may be in no phrase
        used, first = np.unique(ids, return_index=True)
        order = used[np.argsort(first)].tolist()
    else:  # every word is in a phrase: all but the newline, in order
        order = [i for i, token in enumerate(seen) if token != b"\n"]
    local = np.zeros(len(index), dtype=np.int32)
    local[order] = np.arange(len(order), dtype=np.int32)
    words = [seen[i].decode("ascii") for i in order]
    return _chunk(words, local[ids], lengths[phrase].astype(np.int32), skipped)
