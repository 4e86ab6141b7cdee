"""`tofy-tui`'s own command line: --help and --version answer and exit, --serve [--host]
[--port] serves the app to a browser; anything else is one line and exit status 2. Parsed by
hand, without the app or torch imported, so a mistake costs no start-up."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import tofy_core

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

USAGE = f"""usage: tofy-tui [--help] [--version] [--serve [--host HOST] [--port PORT]]

Tofy's terminal studio. Train (key 1): set up a run, start it, and watch it live, or watch
a run started with `tofy train` elsewhere. Models (key 2): the runs on disk. Diff (key 3):
how a model is probed with masked phrases (`tofy diff RUN` does it from the shell).
Press ? inside for every key, Ctrl+P for the command palette.

options:
  -h, --help     show this help and exit
  -V, --version  show Tofy's version and exit
  --serve        serve the app to a web browser instead (each page opened runs its own
                 app; needs the serve extra: pip install 'tofy[serve]'); Ctrl+C stops it
  --host HOST    the address --serve listens on (default {DEFAULT_HOST}: this machine only;
                 reach it from elsewhere through an SSH tunnel)
  --port PORT    the port --serve listens on (default {DEFAULT_PORT})

Runs are kept under $TOFY_HOME when it is set, else in the platform's data folder; `tofy runs`
lists the same runs."""


@dataclass(frozen=True)
class Options:
    """What the command line asked for: the app in this terminal, or served to browsers."""

    serve: bool = False
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT


class UsageError(Exception):
    """A command line the app cannot start with; the message is the whole line shown."""


def parse_args(argv: list[str]) -> Options | int:
    """The options to start with, or an exit status once --help or --version has answered
    (0) or a mistake has been reported in one line (2)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            print(USAGE)
            return 0
        if arg in ("-V", "--version"):
            print(f"tofy-tui {tofy_core.version()}")
            return 0
    try:
        return _options(argv)
    except UsageError as exc:
        print(f"tofy-tui: {exc} (see tofy-tui --help)", file=sys.stderr)
        return 2


def _options(argv: list[str]) -> Options:
    serve, values = False, {"host": DEFAULT_HOST, "port": str(DEFAULT_PORT)}
    given: list[str] = []
    args = iter(argv)
    for arg in args:
        name, equals, value = arg.partition("=")
        if arg == "--serve":
            serve = True
        elif name in ("--host", "--port"):
            if not equals:
                value = next(args, "")
            if not value or value.startswith("-"):
                raise UsageError(f"{name} needs a value")
            values[name[2:]] = value
            given.append(name)
        else:
            kind = "option" if arg.startswith("-") else "argument"
            raise UsageError(f"unknown {kind} {arg!r}")
    if given and not serve:
        raise UsageError(f"{given[0]} only applies with --serve")
    return Options(serve, values["host"], _port(values["port"]))


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UsageError(f"--port {text!r} is not a port number: give one from 1 to 65535")
    return int(text)
