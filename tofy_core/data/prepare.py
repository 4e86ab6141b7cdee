"""`tofy prepare`: question/answer columns of a dataset written as `question<TAB>answer` lines.

The output format is the seed's `prepare_casual_conversation.py`: one pair per line, tabs
inside cells turned into spaces, pairs with an empty side or with fewer than `min_tokens`
whitespace-separated words on either side skipped, lowercasing before that count. Unlike the
seed, line breaks inside a cell also become spaces (the seed let them tear a pair in two), and
the file is written atomically (fsutil): a failure leaves any old file intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tofy_core.data.hub import loaded_source, one_line
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.errors import ConfigError, DataError
from tofy_core.fsutil import atomic_text_file
from tofy_core.progress import Progress, throttled

if TYPE_CHECKING:
    from datasets import Dataset

BATCH_ROWS = 1000


class Skip(Enum):
    """Why a row gave no pair."""

    EMPTY = "an empty side"
    SHORT = "too few words on a side"


@dataclass(frozen=True)
class PrepareOptions:
    """What to read and how to filter it; the defaults are the seed script's."""

    split: str | None = None  # None: the source's @split, else train
    question_col: str = "question"
    answer_col: str = "answer"
    min_tokens: int = 2
    lowercase: bool = False
    max_pairs: int | None = None
    overwrite: bool = False  # replace an existing output file


@dataclass(frozen=True)
class PrepareResult:
    """What `prepare` did: rows read, pairs written, and why the others were skipped."""

    output: Path
    spec: str
    rows: int
    written: int
    skipped_empty: int
    skipped_short: int
    reached_max: bool

    @property
    def skipped(self) -> int:
        return self.skipped_empty + self.skipped_short


@dataclass
class _Tally:
    rows: int = 0
    written: int = 0
    empty: int = 0
    short: int = 0
    reached_max: bool = False


def prepare_pairs(
    source: str,
    output: Path,
    options: PrepareOptions | None = None,
    *,
    progress: Progress | None = None,
) -> PrepareResult:
    """Read `source` (hub id, `hub:` spec or parquet folder) and write its pairs to `output`."""
    options = options or PrepareOptions()
    _check_options(options, output)
    spec = parse_hub_spec(source, split=options.split)
    tally = _Tally()
    output.parent.mkdir(parents=True, exist_ok=True)
    with loaded_source(spec) as parts:
        for part in parts:
            _check_columns(spec.spec, part, options)
        report = throttled(progress, sum(len(part) for part in parts))
        with atomic_text_file(output) as out:
            for part in parts:
                if tally.reached_max:
                    break
                _write_part(part, options, tally, out, report)
            report(tally.rows, force=True)
            if tally.written == 0:
                raise DataError(_nothing_kept(spec.spec, tally, options))
    return PrepareResult(
        output=output,
        spec=spec.spec,
        rows=tally.rows,
        written=tally.written,
        skipped_empty=tally.empty,
        skipped_short=tally.short,
        reached_max=tally.reached_max,
    )


def pair_line(question: Any, answer: Any, options: PrepareOptions) -> str | Skip:
    """The output line of one row, or why it has none."""
    left = one_line(_text(question))
    right = one_line(_text(answer))
    if not left or not right:
        return Skip.EMPTY
    if options.lowercase:
        left, right = left.lower(), right.lower()
    if len(left.split()) < options.min_tokens or len(right.split()) < options.min_tokens:
        return Skip.SHORT
    return f"{left}\t{right}"


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else str(cell)


def _write_part(
    part: Dataset, options: PrepareOptions, tally: _Tally, out: IO[str], report: Any
) -> None:
    columns = [options.question_col, options.answer_col]
    for batch in part.select_columns(list(dict.fromkeys(columns))).iter(batch_size=BATCH_ROWS):
        questions, answers = batch[options.question_col], batch[options.answer_col]
        for question, answer in zip(questions, answers, strict=True):
            tally.rows += 1
            line = pair_line(question, answer, options)
            if line is Skip.EMPTY:
                tally.empty += 1
            elif line is Skip.SHORT:
                tally.short += 1
            else:
                out.write(f"{line}\n")
                tally.written += 1
                if options.max_pairs is not None and tally.written >= options.max_pairs:
                    tally.reached_max = True
                    return
        report(tally.rows)


def _check_options(options: PrepareOptions, output: Path) -> None:
    if options.min_tokens < 0:
        raise ConfigError(
            f"--min-tokens must be 0 or more, not {options.min_tokens}", field="min_tokens"
        )
    if options.max_pairs is not None and options.max_pairs < 1:
        raise ConfigError(
            f"--max-pairs must be 1 or more, not {options.max_pairs}", field="max_pairs"
        )
    if output.is_dir():
        raise ConfigError(f"--output {output} is a folder: give a file name", field="output")
    if (output.exists() or output.is_symlink()) and not options.overwrite:
        raise ConfigError(
            f"--output {output} already exists: pass --force to replace it, or choose another file",
            field="output",
        )


def _check_columns(spec: str, part: Dataset, options: PrepareOptions) -> None:
    names = part.column_names
    for option, column in (("question", options.question_col), ("answer", options.answer_col)):
        if column not in names:
            raise DataError(
                f"{spec} has no {option} column {column!r}; its columns: {', '.join(names)} "
                f"(choose with --question-col and --answer-col)"
            )


def _nothing_kept(spec: str, tally: _Tally, options: PrepareOptions) -> str:
    return (
        f"{spec}: no pair kept out of {tally.rows} rows ({tally.empty} with an empty side, "
        f"{tally.short} with fewer than {options.min_tokens} words on a side); nothing written"
    )
