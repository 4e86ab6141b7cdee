"""The data subcommands, `tofy prepare` and `tofy datasets`, registered by `cli.main`.

Handlers print their output and return an exit code; problems the user can fix are raised as
`TofyError`s, which `cli.main` prints as one `error:` line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tofy_core.cli.console import ProgressPrinter
from tofy_core.data.hub_cache import CachedDataset, clear_cached, hub_cache_dir, list_cached
from tofy_core.data.prepare import PrepareOptions, PrepareResult, prepare_pairs
from tofy_core.format import format_bytes, format_table

PREPARE_DESCRIPTION = """\
Write question<TAB>answer pairs from a Hugging Face dataset or a local folder of parquet
files, one pair per line, in the format of the seed's prepare_casual_conversation.py.
Tabs and line breaks inside cells become spaces; rows with an empty side, or with fewer than
--min-tokens words on a side, are skipped. `tofy train` on the result trains on the questions
(the left side of each line)."""

PREPARE_EPILOG = """\
examples:
  tofy prepare SohamGhadge/casual-conversation --output data/casual_pairs.txt
  tofy prepare hub:./my_parquet@test --question-col prompt --answer-col reply \\
      --lower --max-pairs 1000 --output data/pairs.txt"""

DATASETS_DESCRIPTION = """\
List the datasets converted to text for training (hub:<id> and hub:./folder sources), with
their line counts and sizes, or remove one. A cached dataset is used without any network
call; `tofy train hub:<id> --refresh` rebuilds it."""

DATASETS_EPILOG = """\
examples:
  tofy datasets
  tofy datasets --clear ag_news
  tofy datasets --clear hub:./my_parquet@test"""


def add_commands(subparsers: Any) -> None:
    """Register `prepare` and `datasets` on the CLI's subparsers."""
    _add_prepare(subparsers)
    _add_datasets(subparsers)


def _add_prepare(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="write question<TAB>answer pairs from a dataset",
        description=PREPARE_DESCRIPTION,
        epilog=PREPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        metavar="HUB_OR_FOLDER",
        help="a Hugging Face dataset id (hub:<id> or <id>, optionally @split) "
        "or a folder of parquet files",
    )
    parser.add_argument("--output", "-o", required=True, type=Path, help="the file to write")
    parser.add_argument("--split", help="the split to read (default: train; 'all' for every split)")
    parser.add_argument("--question-col", default="question", help="default: question")
    parser.add_argument("--answer-col", default="answer", help="default: answer")
    parser.add_argument(
        "--min-tokens", type=int, default=2, help="fewest words on each side (default: 2)"
    )
    parser.add_argument("--lower", action="store_true", help="lowercase both sides")
    parser.add_argument("--max-pairs", type=int, metavar="N", help="stop after N pairs")
    parser.add_argument(
        "--force", "-f", action="store_true", help="replace the output file if it exists"
    )
    parser.set_defaults(handler=run_prepare)


def _add_datasets(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "datasets",
        help="list or remove the cached hub: datasets",
        description=DATASETS_DESCRIPTION,
        epilog=DATASETS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--clear",
        metavar="ID",
        help="remove one cached dataset: its id, hub: spec or folder (as listed)",
    )
    parser.set_defaults(handler=run_datasets)


def run_prepare(args: argparse.Namespace) -> int:
    options = PrepareOptions(
        split=args.split,
        question_col=args.question_col,
        answer_col=args.answer_col,
        min_tokens=args.min_tokens,
        lowercase=args.lower,
        max_pairs=args.max_pairs,
        overwrite=args.force,
    )
    printer = ProgressPrinter(f"reading {args.source}")
    try:
        result = prepare_pairs(args.source, args.output, options, progress=printer)
    finally:
        printer.close()
    print(prepare_summary(result, options))
    return 0


def prepare_summary(result: PrepareResult, options: PrepareOptions) -> str:
    """One or two lines: what was kept, what was skipped and why."""
    text = (
        f"wrote {result.written:,} pairs to {result.output} from {result.spec} "
        f"({result.rows:,} rows read); skipped {result.skipped:,}: "
        f"{result.skipped_empty:,} with an empty side, "
        f"{result.skipped_short:,} with fewer than {options.min_tokens} words on a side"
    )
    if result.reached_max:
        text += f"\nstopped at --max-pairs {options.max_pairs:,}"
    return text


def run_datasets(args: argparse.Namespace) -> int:
    if args.clear:
        removed = clear_cached(args.clear)
        print(f"removed cached dataset {removed.stem} ({removed})")
        return 0
    print(datasets_table(list_cached(), hub_cache_dir()))
    return 0


def datasets_table(entries: list[CachedDataset], where: Path) -> str:
    """The cached datasets as an aligned table, or a line saying how to make one."""
    if not entries:
        return f"no cached datasets in {where}; `tofy train hub:<id>` converts and caches one"
    header = ("DATASET", "SPLIT", "LINES", "SIZE", "CREATED")
    rows = [
        (
            entry.spec,
            entry.split,
            f"{entry.lines:,}" if entry.valid else "incomplete",
            format_bytes(entry.size_bytes),
            entry.created,
        )
        for entry in entries
    ]
    return f"{format_table(header, rows, right=(2, 3))}\ncache: {where}"
