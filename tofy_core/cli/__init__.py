"""`python -m tofy_core` / `tofy`: the full headless interface.

Subcommands for everything, plus the seed's positional forms (`--latent …`, `--diff …`).
A `TofyError` becomes one line on stderr and exit code 2; bugs still raise."""

from __future__ import annotations

import argparse
import sys

from tofy_core import version
from tofy_core.cli import cache, data, diff, manage, metrics, runs, seed, train
from tofy_core.cli.streams import losable_std_streams
from tofy_core.errors import EXIT_INTERRUPTED, EXIT_USER_ERROR, TofyError


class VersionAction(argparse.Action):
    """`--version`, with the version read only when asked: reading the installed package's
    metadata costs ~30 ms, which every other command would otherwise pay at start-up."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"tofy {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tofy",
        description="Train and probe small JEPA-style text encoders from the shell.",
        epilog=seed.SEED_USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=VersionAction, nargs=0, help="show the version and exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (train, runs, manage, metrics, diff, data, cache):
        module.add_commands(subparsers)
    return parser


def dispatch(argv: list[str]) -> int:
    if not argv:
        build_parser().print_help(sys.stderr)
        return EXIT_USER_ERROR
    if seed.is_seed_training_form(argv):
        return seed.run_seed_training(argv)
    if argv[0] == "--diff":
        return diff.run_seed_diff(argv[1:])
    args = build_parser().parse_args(argv)
    if not getattr(args, "handler", None):
        build_parser().print_help(sys.stderr)
        return EXIT_USER_ERROR
    return args.handler(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with losable_std_streams():  # a reader that died never fails the command
        return _main(argv)


def _main(argv: list[str]) -> int:
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
    except UnicodeDecodeError as exc:  # stdin or a file that is not UTF-8 text
        print(
            f"error: the input is not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    except OSError as exc:  # the environment: a read-only or full disk, a vanished folder
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USER_ERROR
