"""`tofy metrics`: one or several runs' step and eval series as CSV (long or wide) or JSON,
for a spreadsheet, a script or another tracker."""

from __future__ import annotations

import argparse
import io
import json
import sys

from tofy_core import paths
from tofy_core.cli.args import HelpFormatter
from tofy_core.fsutil import atomic_write_text
from tofy_core.runs.metrics_table import (
    LONG_COLUMNS,
    as_json,
    load_run_metrics,
    long_rows,
    wide_table,
    write_csv,
)

EPILOG = """examples:
  tofy metrics chats                        # CSV on stdout: run, name, step, wall_time, ...
  tofy metrics a b --wide --csv out.csv     # one row per step, one column per run and metric
  tofy metrics chats --filter 'eval/*' --json | jq '.runs[0].metrics'
columns: wall_time is seconds since the epoch (as TensorBoard records it), seconds counts
from the run's first event (the Models compare plot's time axis), tokens is the real tokens
trained on by that step (empty where the run's events cannot tell)."""


def add_commands(subparsers) -> None:
    metrics = subparsers.add_parser(
        "metrics",
        help="write runs' step and eval series as CSV or JSON",
        description=(
            "Write the step and eval series of one or several runs (every numeric field of "
            "their step and eval events, the series the Models compare plot shows) as CSV: "
            "long by default (one row per value), or wide (one row per step, one column per "
            "metric, runs side by side); or as JSON for scripts."
        ),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    metrics.add_argument("runs", nargs="+", metavar="RUN", help="run id, id prefix, name or folder")
    out = metrics.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="FILE", help="write the CSV to FILE (default: stdout)")
    out.add_argument("--json", action="store_true", help="print one JSON object instead of CSV")
    metrics.add_argument(
        "--wide",
        action="store_true",
        help="one row per step: step, then each run's wall_time, seconds, tokens and metrics "
        "(columns RUN/METRIC when there are several runs)",
    )
    metrics.add_argument(
        "--filter",
        default="",
        metavar="PATTERN",
        help="only the metrics matching a glob (eval/*) or containing a text (loss)",
    )
    metrics.set_defaults(handler=cmd_metrics)


def cmd_metrics(args: argparse.Namespace) -> int:
    if args.json and args.wide:
        print("error: --wide shapes the CSV; --json has its own shape: give one", file=sys.stderr)
        return 2
    read = [load_run_metrics(ref, args.filter) for ref in args.runs]
    for run in read:
        if run.damaged:
            print(
                f"warning: run {run.run_id} is damaged ({run.damaged}); its metrics are "
                "written as recorded",
                file=sys.stderr,
            )
    if args.json:
        print(json.dumps(as_json(read)))
        return 0
    header, rows = wide_table(read) if args.wide else (list(LONG_COLUMNS), long_rows(read))
    if not args.csv:
        write_csv(sys.stdout, header, rows)
        return 0
    text = io.StringIO()
    count = write_csv(text, header, rows)
    target = paths.user_path(args.csv)
    atomic_write_text(target, text.getvalue())
    print(f"wrote {count:,} rows to {target}", file=sys.stderr)
    return 0
