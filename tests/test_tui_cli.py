"""`tofy-tui`'s own command line: --help and --version answer and exit without starting the
app or importing torch; anything else is one line and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What `tofy-tui ARGS` runs (the console script calls tofy_tui.app:main), reporting whether
# torch was imported or an app was made on the way.
PROBE = """
import sys
import tofy_tui.app as app_module

made = []
app_module.TofyApp.__init__ = lambda self: made.append(self) or sys.exit(99)
try:
    app_module.main(sys.argv[1:])
finally:
    print("torch:", "torch" in sys.modules, "app:", bool(made), file=sys.stderr)
"""


def tofy_tui(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_help_prints_usage_and_exits():
    for flag in ("--help", "-h"):
        result = tofy_tui(flag)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: tofy-tui")
        assert "--version" in result.stdout
        assert "torch: False app: False" in result.stderr


def test_version_prints_the_installed_version():
    result = tofy_tui("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tofy-tui {metadata.version('tofy')}"
    assert "torch: False app: False" in result.stderr


def test_an_unknown_option_is_one_line_and_status_2():
    for args in (("--bogus",), ("somefile.txt",)):
        result = tofy_tui(*args)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = [line for line in result.stderr.splitlines() if not line.startswith("torch:")]
        assert len(lines) == 1 and args[0] in lines[0] and "tofy-tui --help" in lines[0]
        assert "app: False" in result.stderr


def test_python_dash_m_tofy_tui_takes_the_same_options():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "tofy_tui", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0 and result.stdout.startswith("tofy-tui "), result.stderr
