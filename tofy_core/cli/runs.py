"""`tofy runs`, `tofy show` and `tofy delete`: browse the run registry from the shell."""

from __future__ import annotations

import argparse
import json
import sys

from tofy_core.cli.args import HelpFormatter
from tofy_core.format import (
    format_bytes,
    format_count,
    format_duration,
    format_table,
    printable,
)
from tofy_core.runs import folders as runs
from tofy_core.runs.summary import list_summaries, summarize


def add_commands(subparsers) -> None:
    listing = subparsers.add_parser(
        "runs",
        help="list runs",
        description="List the runs under the data folder, newest first.",
        formatter_class=HelpFormatter,
    )
    listing.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    listing.set_defaults(handler=cmd_runs)

    show = subparsers.add_parser(
        "show",
        help="details of one run",
        description="Show a run's settings, progress, last scores and files.",
        formatter_class=HelpFormatter,
    )
    show.add_argument("run", help="run id, unique id prefix, name or folder")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.set_defaults(handler=cmd_show)

    delete = subparsers.add_parser(
        "delete",
        help="delete a run folder",
        description="Delete a run and every file in its folder.",
        formatter_class=HelpFormatter,
    )
    delete.add_argument("run", help="run id, unique id prefix, name or folder")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=cmd_delete)


def run_summary(info: runs.RunInfo) -> dict:
    """run.json plus what the event stream says (tofy_core.runs.summary, shared with the TUI)."""
    return summarize(info.path).to_json()


def cmd_runs(args: argparse.Namespace) -> int:
    summaries = [summary.to_json() for summary in list_summaries()]
    if args.json:
        print(json.dumps(summaries, indent=2))
        return 0
    if not summaries:
        print("no runs yet: start one with `tofy train`", file=sys.stderr)
        return 0
    header = ("ID", "NAME", "STATUS", "STEP", "LOSS", "TOP-10", "DATA")
    rows = []
    for s in summaries:
        loss = f"{s['loss']:.3f}" if isinstance(s.get("loss"), float) else "-"
        top10 = f"{s['eval']['top10']:.1%}" if s.get("eval") else "-"
        rows.append(
            (
                s["id"],
                printable(s["name"])[:24],
                s["status"],
                f"{s['step']}/{s['steps']}",
                loss,
                top10,
                _tail(printable(s["dataset"]), 40),
            )
        )
    print(format_table(header, rows))
    for s in summaries:
        if s["status"] == "damaged":
            print(f"damaged {s['id']}: {printable(s.get('reason', ''))}", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    info = runs.open_run(args.run)
    summary = run_summary(info)
    config = runs.read_config(info)
    if config.model.vocab_size is None:  # runs from before config.json recorded it
        config.model.vocab_size = _vocab_lines(info)
    summary["config"] = config.to_dict()
    summary["parameters"] = config.model.parameter_count()
    if summary["status"] != "damaged" and not info.is_live:
        from tofy_core.runs.checkpoint import verify_run_files  # torch: only for `show`

        problem = verify_run_files(info, config)
        if problem:
            summary["status"], summary["reason"] = "damaged", problem
    files = {
        p.name: p.stat().st_size
        for p in sorted(info.path.iterdir())
        if p.is_file() and not p.name.startswith(".")  # the lock, a writer's temporary file
    }
    summary["files"] = files
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    model, train = config.model, config.train
    print(f"run      {info.run_id}  ({printable(summary['name'])})")
    reason = printable(summary.get("reason") or info.error)
    print(f"status   {summary['status']}" + (f": {reason}" if reason else ""))
    print(f"data     {printable(info.dataset)}")
    saved = summary["checkpoint_step"]
    restart = "no checkpoint yet" if saved is None else f"last checkpoint {saved}"
    print(f"step     {summary['step']}/{summary['steps']}  ({restart})")
    print(
        f"model    dim {model.dim}, layers {model.layers}, heads {model.heads}, "
        f"max_seq {model.max_seq}, vocab {model.effective_vocab} "
        f"({format_count(model.parameter_count())} parameters)"
    )
    device = summary["device"] or train.device
    if device != train.device:
        device += f" ({train.device})"
    print(f"training batch {train.batch}, lr {train.lr}, seed {train.seed}, device {device}")
    if train.phases:
        spans = ", ".join(f"{start}-{end}" for start, end in train.phases)
        print(f"schedule {len(train.phases)} phases (steps {spans}), extended by resume --steps")
    if "loss" in summary:
        print(f"loss     {summary['loss']:.4f}")
    if "real_tokens_per_s" in summary:
        print(
            f"speed    {summary['real_tokens_per_s']:,.0f} real tokens/s over "
            f"{format_duration(summary['train_seconds'])} of training "
            f"({format_count(int(summary['real_tokens']))} tokens, padding not counted)"
        )
    if summary.get("eval"):
        e = summary["eval"]
        print(
            f"eval     top-1 {e['top1']:.1%}  top-10 {e['top10']:.1%}  "
            f"mean rank {e['mean_rank']:.1f} (step {e['step']})"
        )
    print(f"created  {info.created}   updated {info.updated}")
    print(f"folder   {info.path}")
    for name, size in files.items():
        print(f"  {name:<20} {format_bytes(size)}")
    return 0


def _tail(text: str, width: int) -> str:
    """The end of a long value (a data file's absolute path: its name is what tells)."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _vocab_lines(info: runs.RunInfo) -> int | None:
    """The size of the run's vocab.txt (one token per line), None without one."""
    try:
        with info.file(runs.VOCAB_FILE).open("rb") as handle:
            return sum(1 for _ in handle) or None
    except OSError:
        return None


def cmd_delete(args: argparse.Namespace) -> int:
    info = runs.open_run(args.run, exact=args.yes)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                f"error: pass --yes to delete run {info.run_id} non-interactively", file=sys.stderr
            )
            return 2
        answer = input(f"delete run {info.run_id} and all its files? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return 1
    deleted = runs.delete_run(info.run_id)  # the id: resolved in the runs folder only
    print(f"deleted {deleted.run_id}")
    return 0
