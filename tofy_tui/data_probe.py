"""What the Train form can tell about a data source before a run: whether the engine would
refuse it, what it is (a file's size, a cached or reachable hub: id), and how many distinct
words it holds, so the form can show the vocabulary the run would build.

Nothing here imports Textual or torch; `describe_data` and `distinct_words` may take seconds
and are called from a worker (tofy_tui/data_hint.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tofy_core import paths
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.data.split import training_word_count
from tofy_core.data.text import default_corpus_path, read_phrase_lines, tokenize
from tofy_core.errors import TofyError
from tofy_core.format import format_bytes
from tofy_core.train.preflight import check_data_source
from tofy_tui.messages import VocabSettings

MAX_SCAN_BYTES = 8 * 1024 * 1024  # ~0.5 s of tokenizing in a worker; larger files get no hint


def data_problem(source: str) -> str:
    """Why `source` cannot be trained on; empty when it can (as far as can be told cheaply).

    The engine's own check, the one `tofy train` makes before it creates a run: a missing
    file, a folder, binary or non-UTF-8 text, an empty file, a parquet folder without parquet
    files, a malformed hub: id. Cheap enough to run as the user types (a file's head is read).
    Whether an uncached hub: id is reachable is `describe_data`'s job (network)."""
    try:
        check_data_source(source)
    except TofyError as exc:
        return str(exc)
    return ""


@dataclass(frozen=True)
class DataInfo:
    """What the form says about a valid data source, and the text file to scan for a vocab
    size when there is one on disk."""

    message: str
    error: bool = False
    text_path: Path | None = None


def describe_data(source: str) -> DataInfo:
    """A line about the data source; may take seconds (a network check for an uncached hub:
    id), so the form calls it from a worker."""
    if not source:
        return DataInfo("the built-in corpus", text_path=default_corpus_path())
    if not source.startswith("hub:"):
        path = paths.user_path(source)
        return DataInfo(f"text file, {_size(path)}", text_path=path)
    # The hub modules load here, in the worker: the form checks sources with `data_problem`
    # as it opens, and needs none of them for it.
    from tofy_core.data.hub import check_hub_reachable
    from tofy_core.data.hub_cache import list_cached

    spec = parse_hub_spec(source)
    for entry in list_cached():
        if entry.key == spec.key and entry.valid:
            return DataInfo(f"cached: {entry.lines:,} lines", text_path=entry.path)
    if spec.kind == "folder":
        return DataInfo("parquet folder: converted to text on first use")
    try:
        check_hub_reachable(spec)
    except TofyError as exc:
        return DataInfo(str(exc), error=True)
    return DataInfo("not cached: downloaded on first use (needs network)")


def _size(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "unreadable"
    return format_bytes(size)


def distinct_words(path: Path, settings: VocabSettings) -> int | None:
    """How many distinct words a run on this text file builds its vocabulary from (the
    engine's reading, duplicates dropped, the held-out phrases left out as training leaves
    them), or None when the file is too large, unreadable or not text."""
    try:
        if path.stat().st_size > MAX_SCAN_BYTES:
            return None
        lines, _ = read_phrase_lines(path)
    except (OSError, TofyError):
        return None
    phrases = [tokens for line in lines if len(tokens := tokenize(line, settings.lowercase)) >= 2]
    return training_word_count(phrases, settings.holdout, settings.seed)
