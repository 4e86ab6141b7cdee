"""Turning text into phrases and tokens.

The tokenizer is the seed's rule made Unicode-aware: text is normalised to NFC, runs of
letters, digits, apostrophes and combining marks are words, whitespace separates, every other
character is a token of its own. Training and inference both call `tokenize` with the model's
`lowercase` setting, so they always agree."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tofy_core import paths
from tofy_core.data.hub_spec import is_hub_spec
from tofy_core.errors import DataError

if TYPE_CHECKING:
    from tofy_core.progress import Progress

_TOKEN = re.compile(r"(?:[^\W_]|['’])+|\S", re.UNICODE)
PAIR_SEPARATORS = ("\t", "|||")
DEFAULT_CORPUS_NAME = "corpus.txt"


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    if lowercase:
        text = text.lower()
    if text.isascii():  # no normalisation or combining mark possible: the plain rule
        return _TOKEN.findall(text)
    return _unicode_tokens(text)


@functools.cache
def _unicode_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """`_TOKEN` with words and other characters told apart, and a quick test for characters
    that could be combining marks (non-ASCII, neither word characters nor spaces). Compiled
    on the first non-ASCII text, so that importing the tokenizer stays as cheap as before."""
    piece = re.compile(r"((?:[^\W_]|['’])+)|(\S)", re.UNICODE)
    maybe_mark = re.compile(r"[^\w\s\x00-\x7f’]", re.UNICODE)
    return piece, maybe_mark


def _unicode_tokens(text: str) -> list[str]:
    """The rule on NFC text, with combining marks (category M: Devanagari vowel signs and
    virama, accents NFC cannot compose) kept inside the word they touch. Python's `re` has no
    `\\p{M}`, and a class listing every mark would cost a table at import; lone pieces that
    could be marks are few, so each is looked up instead."""
    import unicodedata  # only non-ASCII text needs it

    piece, maybe_mark = _unicode_patterns()
    text = unicodedata.normalize("NFC", text)
    if maybe_mark.search(text) is None:
        return _TOKEN.findall(text)
    tokens: list[str] = []
    end = -1
    joinable = False  # the last token is a word that a touching word piece or mark extends
    for match in piece.finditer(text):
        word, other = match.groups()
        wordish = word is not None or unicodedata.category(other)[0] == "M"
        if wordish and joinable and match.start() == end:
            tokens[-1] += match.group()
        else:
            tokens.append(match.group())
        joinable = wordish
        end = match.end()
    return tokens


def context_side(line: str) -> str:
    """The part of a line used for training: left of TAB or `|||`, or the whole line."""
    for separator in PAIR_SEPARATORS:
        if separator in line:
            return line.split(separator, 1)[0]
    return line


def default_corpus_path() -> Path:
    """The embedded corpus, found both in an installed package and in a source checkout."""
    try:
        from importlib import resources  # here: not for every importer of this module

        path = Path(str(resources.files("tofy_assets").joinpath(DEFAULT_CORPUS_NAME)))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "assets" / DEFAULT_CORPUS_NAME


@dataclass
class Corpus:
    """Tokenized phrases of one data source, and where they came from."""

    phrases: list[list[str]]
    source: str
    path: Path
    skipped: int = 0
    from_cache: bool = False


def read_data_bytes(path: Path, limit: int = -1) -> bytes:
    """A data file's bytes (the first `limit` only, when given); a missing file, a folder or
    an unreadable file is one DataError saying what to do. Training and the pre-start check
    both read through here, so they refuse a file with the same words."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise DataError(f"data file {path} does not exist: check the path") from None
    except IsADirectoryError:
        raise DataError(
            f"{path} is a folder: give a text file, or hub:{path} for a parquet folder"
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read data file {path}: {exc.strerror}") from None


def binary_line_error(path: Path, line: int) -> DataError:
    return DataError(f"{path} line {line} holds binary data (NUL bytes): give a UTF-8 text file")


def not_utf8_line_error(path: Path, line: int) -> DataError:
    return DataError(f"{path} line {line} is not valid UTF-8: re-save the file as UTF-8")


def read_phrase_lines(path: Path) -> tuple[list[str], int]:
    """Context sides of a data file's lines (blank lines dropped) and how many were blank.

    Reads bytes so a bad line can be named: binary or non-UTF-8 content is one clear error."""
    raw = read_data_bytes(path)
    lines: list[str] = []
    blank = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if b"\x00" in line:
            raise binary_line_error(path, number)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise not_utf8_line_error(path, number) from None
        text = context_side(text.rstrip("\r")).strip()
        if text:
            lines.append(text)
        elif line.strip():
            blank += 1
    if raw.startswith(b"\xef\xbb\xbf") and lines:
        lines[0] = lines[0].lstrip("\ufeff")
    return lines, blank


def resolve_source(
    source: str, refresh: bool = False, progress: Progress | None = None
) -> tuple[Path, str, bool]:
    """The text file behind a data source, the name shown for it, and whether it is a
    `hub:` dataset's cached conversion: a file, a `hub:` dataset (converted once), or (empty
    source) the default corpus."""
    if not source:
        return default_corpus_path(), "(default corpus)", False
    if is_hub_spec(source):
        from tofy_core.data.hub import resolve_hub

        hub = resolve_hub(source, refresh=refresh, progress=progress)
        return hub.path, source, hub.from_cache
    return paths.user_path(source), source, False


def load_corpus(
    source: str = "",
    lowercase: bool = True,
    refresh: bool = False,
    progress: Progress | None = None,
) -> Corpus:
    """Phrases from a text file, a `hub:` dataset, or (empty source) the default corpus.

    Phrases with fewer than two tokens are skipped, as in the seed. Training reads through
    the token cache (`data/cached_data.py`), which treats every line the same way."""
    path, shown, from_cache = resolve_source(source, refresh, progress)
    lines, skipped = read_phrase_lines(path)
    phrases = []
    for line in lines:
        tokens = tokenize(line, lowercase)
        if len(tokens) >= 2:
            phrases.append(tokens)
        else:
            skipped += 1
    if not phrases:
        raise DataError(
            f"{shown} has no usable line: each phrase needs at least 2 tokens "
            "(one phrase per line, optionally `context<TAB>response`)"
        )
    return Corpus(phrases, shown, path, skipped=skipped, from_cache=from_cache)
