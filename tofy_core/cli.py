"""`python -m tofy_core` / `tofy`: the full headless interface.

Subcommands for everything, plus the seed's positional forms (`--latent …`, `--diff …`).
A `TofyError` becomes one line on stderr and exit code 2; bugs still raise."""

from __future__ import annotations

import argparse
import sys

from tofy_core import cli_runs, cli_seed, cli_train
from tofy_core.errors import EXIT_INTERRUPTED, EXIT_USER_ERROR, TofyError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tofy",
        description="Train and probe small JEPA-style text encoders from the shell.",
        epilog=cli_seed.SEED_USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tofy {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_train.add_commands(subparsers)
    cli_runs.add_commands(subparsers)
    for module_name in ("tofy_core.cli_diff", "tofy_core.cli_data"):
        module = _optional(module_name)
        if module is not None:
            module.add_commands(subparsers)
    return parser


def _optional(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def version() -> str:
    """The installed distribution's version, or the source tree's when not installed."""
    from importlib import metadata

    try:
        return metadata.version("tofy")
    except metadata.PackageNotFoundError:
        return "0.1.0 (source)"


def dispatch(argv: list[str]) -> int:
    if not argv:
        build_parser().print_help(sys.stderr)
        return EXIT_USER_ERROR
    if cli_seed.is_seed_training_form(argv):
        return cli_seed.run_seed_training(argv)
    if argv[0] == "--diff":
        cli_diff = _optional("tofy_core.cli_diff")
        if cli_diff is None:
            raise TofyError("--diff is not available in this build")
        return cli_diff.run_seed_diff(argv[1:])
    args = build_parser().parse_args(argv)
    if not getattr(args, "handler", None):
        build_parser().print_help(sys.stderr)
        return EXIT_USER_ERROR
    return args.handler(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return dispatch(argv)
    except TofyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
