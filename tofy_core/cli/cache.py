"""`tofy cache`: the token cache's entries (each corpus tokenized once, per split settings),
with their size, source and age, and clearing them. Entries are rebuilt when needed, so
clearing only costs the next start a first pass."""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from tofy_core.data.token_cache import in_use_by_a_build, list_entries, remove_entry, tokens_dir
from tofy_core.format import format_bytes, format_duration, format_table

DESCRIPTION = """\
List the token cache: every corpus `tofy train` has tokenized, once per content and split
settings (lowercasing, held-out fraction, seed), with its size on disk, its source and its
age. Training, resuming and evaluation read these files instead of tokenizing again; an
entry cleared here is rebuilt by the next start that needs it."""

EPILOG = """\
examples:
  tofy cache                          # list the entries, newest first
  tofy cache clear --older-than 30d   # remove entries made more than 30 days ago
  tofy cache clear --all              # remove every entry"""

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_commands(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cache",
        help="list or clear the token cache",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=cmd_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the entries (the default)")
    listing.set_defaults(handler=cmd_list)
    clear = actions.add_parser(
        "clear",
        help="remove entries",
        description="Remove token cache entries: those older than --older-than, or --all.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = clear.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--older-than",
        type=age_seconds,
        metavar="AGE",
        help="entries made longer ago than AGE: a number and s, m, h or d (e.g. 30d, 12h)",
    )
    which.add_argument("--all", action="store_true", help="every entry")
    clear.set_defaults(handler=cmd_clear)


def age_seconds(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age: write e.g. 30d, 12h or 45m")
    return float(match.group(1)) * UNITS[match.group(2)]


def cmd_list(args: argparse.Namespace) -> int:
    entries = list_entries()
    if not entries:
        print(f"the token cache is empty ({tokens_dir()})")
        return 0
    now = time.time()
    rows = [
        [
            item.folder.name,
            format_bytes(item.size),
            format_duration(now - item.created) + " ago",
            item.source if not item.why else f"damaged: {item.why}",
        ]
        for item in entries
    ]
    print(format_table(["ENTRY", "SIZE", "MADE", "SOURCE"], rows))
    total = sum(item.size for item in entries)
    count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    print(f"{count}, {format_bytes(total)} in {tokens_dir()}")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    now = time.time()
    removed = freed = 0
    for item in list_entries():
        if in_use_by_a_build(item, now):
            continue
        if args.all or now - item.created > args.older_than:
            remove_entry(item.folder)
            removed += 1
            freed += item.size
    noun = "entry" if removed == 1 else "entries"
    print(f"removed {removed} {noun}, {format_bytes(freed)} freed")
    return 0
