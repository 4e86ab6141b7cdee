"""`tofy rename`, `tofy export` and `tofy import`: name a run, hand its model over in the
seed's file names, and bring a seed-format checkpoint in as a run."""

from __future__ import annotations

import argparse
import sys

from tofy_core.cli.args import HelpFormatter, positive_int
from tofy_core.runs import ops as run_ops


def add_commands(subparsers) -> None:
    rename = subparsers.add_parser(
        "rename",
        help="give a run a new name",
        description="Give a run a new display name; its id and folder stay the same.",
        epilog='example:\n  tofy rename 20261129-101500-ab12 "baseline dim 256"',
        formatter_class=HelpFormatter,
    )
    rename.add_argument("run", help="run id, unique id prefix, name or folder")
    rename.add_argument("name", help="the new name: not empty, not another run's name")
    rename.set_defaults(handler=cmd_rename)

    export = subparsers.add_parser(
        "export",
        help="copy a run's model out in the seed's file names",
        description=(
            "Copy a run's weights and vocabulary into a folder as model_latent.safetensors "
            "and vocab_latent.txt, the files the seed's --diff reads."
        ),
        epilog="examples:\n  tofy export 20261129-101500-ab12 ./release\n"
        "  tofy export chats ./release --tensorboard && tensorboard --logdir ./release",
        formatter_class=HelpFormatter,
    )
    export.add_argument("run", help="run id, unique id prefix, name or folder")
    export.add_argument("dir", help="the folder to write to (made when missing)")
    export.add_argument(
        "--force", "-f", action="store_true", help="replace files of those names already there"
    )
    export.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write the run's metrics as TensorBoard event files into DIR/tensorboard "
        "(needs pip install 'tofy[tensorboard]')",
    )
    export.set_defaults(handler=cmd_export)

    imported = subparsers.add_parser(
        "import",
        help="make a run from a seed-format checkpoint",
        description=(
            "Make a new run from a weights file (the seed's model_latent.safetensors or a "
            "Tofy model.safetensors) and its vocabulary; `tofy diff` probes it and "
            "`tofy resume RUN --steps N` trains it further."
        ),
        epilog="example:\n  tofy import model_latent.safetensors vocab_latent.txt --heads 4",
        formatter_class=HelpFormatter,
    )
    imported.add_argument("model", help="the .safetensors weights file")
    imported.add_argument("vocab", help="its vocabulary file, one token per line")
    imported.add_argument(
        "--heads",
        type=positive_int,
        default=None,
        help="attention heads; required for a seed file, which does not record them",
    )
    imported.add_argument(
        "--max-seq", type=positive_int, default=None, help="longest phrase for a seed file"
    )
    imported.add_argument("--name", default="", help="the new run's name")
    imported.set_defaults(handler=cmd_import)


def cmd_rename(args: argparse.Namespace) -> int:
    info = run_ops.rename_run(args.run, args.name)
    print(f"run {info.run_id} is now called {info.name!r}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        out = run_ops.export_run(
            args.run, args.dir, overwrite=args.force, tensorboard=args.tensorboard
        )
    except run_ops.ExportExistsError as exc:
        if not sys.stdin.isatty():
            print(f"error: {exc} (pass --force)", file=sys.stderr)
            return 2
        answer = input(f"{exc}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return 1
        out = run_ops.export_run(args.run, args.dir, overwrite=True, tensorboard=args.tensorboard)
    print(f"wrote {out.model} and {out.vocab}")
    if out.tensorboard:
        print(f"wrote TensorBoard event files to {out.tensorboard}")
        print(f"view them with:  tensorboard --logdir {out.tensorboard}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    info = run_ops.import_checkpoint(
        args.model, args.vocab, heads=args.heads, name=args.name, max_seq=args.max_seq
    )
    print(f"imported as run {info.run_id} ({info.name})")
    print(f"probe it with:  tofy diff {info.run_id}")
    return 0
