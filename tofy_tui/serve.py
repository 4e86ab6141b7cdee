"""`tofy-tui --serve`: the app in a web browser, through textual-serve. Each page opened
starts its own app process (this very Python and package, the same environment: TOFY_HOME
included), so everything works as in a terminal, the training child included.

Imports no torch and no Textual app: the server only relays bytes between pages and apps."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shlex
import socket
import sys
import time
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install 'tofy[serve]' (or pip install textual-serve)"
# The package's parent folder: in a source checkout (not an installed copy, whose folder is
# site-packages), put first on the served apps' import path, so a page runs the same code as
# the server even when it was started from another folder.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


STOP_WAIT = 60.0  # seconds the apps have, after Ctrl+C, to stop their training children


def app_command() -> str:
    """The shell command textual-serve runs for each page: the app with this Python, in the
    shell's place (`exec`), so the server's children are the apps themselves."""
    return "exec " + shlex.join([sys.executable, "-m", "tofy_tui"])


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (a name is resolved to tell)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def serve(host: str, port: int) -> int:
    """Serve the app on host:port until Ctrl+C; the exit status."""
    try:
        from textual_serve.server import Server
    except ImportError:
        print(f"tofy-tui: --serve needs textual-serve: {INSTALL_HINT}", file=sys.stderr)
        return 1

    class TofyServer(Server):
        """Pages address the server as the browser did: through an SSH tunnel on another
        local port, or by this machine's name, the page's own links still reach it."""

        async def handle_index(self, request: Any) -> Any:
            # No await before the page is rendered: no other request sees this URL.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def on_shutdown(self, app: Any) -> None:
            await stop_apps()

    if not is_loopback(host):
        print(
            f"tofy-tui: warning: serving on {host}, not this machine only: anyone who can reach "
            f"port {port} there can drive the app and its runs (an SSH tunnel to 127.0.0.1 "
            "keeps it private)",
            file=sys.stderr,
        )
    if (PACKAGE_ROOT / "pyproject.toml").is_file():
        path = os.environ.get("PYTHONPATH", "")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), path) if p)
    server = TofyServer(app_command(), host=host, port=port, title="Tofy")
    try:
        server.serve()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"tofy-tui: cannot serve on {host}:{port} ({reason}): pick another --port or --host",
            file=sys.stderr,
        )
        return 1
    return 0


async def stop_apps(wait: float = STOP_WAIT) -> None:
    """End the apps still open in pages as a terminal's `kill` ends the app (SIGTERM: it
    stops its training children and saves), and wait for them while the server's loop still
    runs: when the server returns, nothing it started is left behind."""
    import psutil

    apps = psutil.Process().children()
    if not apps:
        return
    print(f"tofy-tui: stopping {len(apps)} open app(s) and their runs…", file=sys.stderr)
    for app in apps:
        with contextlib.suppress(psutil.Error):
            app.terminate()
    deadline = time.monotonic() + wait
    while (alive := [app for app in apps if _running(app)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for app in alive:
        with contextlib.suppress(psutil.Error):
            app.kill()
    if alive:
        print(
            f"tofy-tui: {len(alive)} app(s) still open after {wait:.0f}s: killed", file=sys.stderr
        )


def _running(process: Any) -> bool:
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
