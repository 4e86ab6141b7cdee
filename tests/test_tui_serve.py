"""`tofy-tui --serve`'s command line, without a browser: its options and their mistakes in
one line, the hint when textual-serve is missing, the warning when it listens beyond this
machine, a port already taken, and Ctrl+C. The page itself: test_tui_browser.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import free_port
from tui_pilot import REPO


def tofy_tui(*args: str, code: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m tofy_tui ARGS`, after `code` (run first in the same interpreter)."""
    program = f"{code}\nimport sys\nfrom tofy_tui.app import main\nmain(sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--port", "8000"), "--port only applies with --serve"),
        (("--host=0.0.0.0",), "--host only applies with --serve"),
        (("--serve", "--port", "http"), "--port 'http' is not a port number"),
        (("--serve", "--port=70000"), "--port '70000' is not a port number"),
        (("--serve", "--host"), "--host needs a value"),
        (("--serve", "--port", "--host", "x"), "--port needs a value"),
        (("--serve", "extra"), "unknown argument 'extra'"),
    ],
)
def test_a_wrong_serve_option_is_one_line_and_status_2(args, said):
    result = tofy_tui(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(f"tofy-tui: {said}")
    assert said in result.stderr and "tofy-tui --help" in result.stderr


def test_help_shows_the_serve_options():
    result = tofy_tui("--help")
    assert result.returncode == 0
    for option in ("--serve", "--host HOST", "--port PORT", "pip install 'tofy[serve]'"):
        assert option in result.stdout


def test_serve_without_textual_serve_says_how_to_install_it():
    # None in sys.modules: `import textual_serve` fails as when it is not installed.
    result = tofy_tui("--serve", code="import sys; sys.modules['textual_serve'] = None")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "tofy-tui: --serve needs textual-serve: pip install 'tofy[serve]' "
        "(or pip install textual-serve)"
    )


def test_a_port_already_taken_is_one_line():
    pytest.importorskip("textual_serve")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tofy_tui("--serve", "--port", str(port))
    assert result.returncode == 1
    assert f"tofy-tui: cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "pick another --port" in result.stderr and "Traceback" not in result.stderr


def test_listening_beyond_this_machine_warns_and_ctrl_c_stops_it(tmp_path):
    pytest.importorskip("textual_serve")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tofy_tui", "--serve", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # the page is there, at the address the browser used
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and "SSH tunnel" in warnings[0]
    assert "Traceback" not in err
