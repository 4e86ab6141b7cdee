"""The first pass's whole-chunk tokenizer for ASCII text gives exactly what the line-by-line
one (through `text.tokenize`) gives: words, ids, lengths, phrase hashes and skipped lines."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tofy_core.data.chunk_tokens import ascii_chunk, lines_chunk, phrase_hashes, tokenize_chunk
from tofy_core.data.text import tokenize

EVERY_ASCII = [chr(code) for code in range(1, 128)]  # NUL sends a chunk the other way
PIECES = st.sampled_from(
    [*EVERY_ASCII, "word", "Word", "it's", "x1", "|||", "||", "\t", "\r\n", "  ", "\x1c", "_a"]
)


def assert_same(raw: bytes, lowercase: bool) -> None:
    fast, reference = ascii_chunk(raw, lowercase), lines_chunk(raw, 1, lowercase, False)
    assert vars(fast) == vars(reference)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=60), st.booleans())
@example(["a", " ", "b", "\x1c", "c", "\n", "\x1c", "\n", "one"], True)
@example(["a", "|||", "b", " ", "c", "\t", "d", "|||", "e", "\n", "x", " ", "y"], False)
def test_the_whole_chunk_tokenizer_matches_the_line_by_line_one(pieces, lowercase):
    assert_same("".join(pieces).encode("ascii"), lowercase)


def test_every_ascii_character_is_a_separator_a_word_part_or_a_token_as_in_tokenize():
    for char in EVERY_ASCII:
        for line in (f"a{char}b c", f"a {char} b", f"{char}{char} x", f"\t{char}a b"):
            assert_same(line.encode("ascii"), False)
            assert_same(line.encode("ascii"), True)


def test_a_chunk_of_ascii_takes_the_whole_chunk_path_and_gives_the_tokens():
    raw = b"Hello, world!\none\n\n  \nit's a\tb c\n|||x y\nA B|||c"
    chunk = tokenize_chunk((raw, 1, True, False))
    ids = np.frombuffer(chunk.ids, dtype=np.int32).tolist()
    lengths = np.frombuffer(chunk.lengths, dtype=np.int32).tolist()
    assert [chunk.words[i] for i in ids] == [
        *tokenize("Hello, world!"),
        *tokenize("it's a"),
        *tokenize("A B"),
    ]
    assert lengths == [4, 2, 2]
    assert chunk.skipped == 2  # "one" and "|||x y" (context side empty); blank lines are not


def test_equal_phrases_hash_equal_in_any_chunk_and_different_ones_differ():
    first = phrase_hashes(["a", "b", "c"], np.array([0, 1, 2, 0, 1], np.int32), np.array([3, 2]))
    other = phrase_hashes(["c", "b", "a"], np.array([2, 1, 0, 1, 2], np.int32), np.array([3, 2]))
    assert first[0] == other[0]  # "a b c" with other local ids
    assert first[1] != other[1]  # "a b" against "b a"
    assert len(set(first.tolist() + other.tolist())) == 3
