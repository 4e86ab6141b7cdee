"""`tofy-tui --serve`: the app in a web browser, through textual-serve. Each page opened
starts its own app process (this very Python and package, the same environment: TOFY_HOME
included), so everything works as in a terminal, the training child included.

Imports no torch and no Textual app: the server only relays bytes between pages and apps."""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install 'tofy[serve]' (or pip install textual-serve)"
# The package's parent folder: put first on the served apps' import path, the page runs the
# same code as the server even from a source checkout run from another folder.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def app_command() -> str:
    """The shell command textual-serve runs for each page: the app with this Python."""
    return shlex.join([sys.executable, "-m", "tofy_tui"])


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

    if not is_loopback(host):
        print(
            f"tofy-tui: warning: serving on {host}, not this machine only: anyone who can reach "
            f"port {port} there can drive the app and its runs (an SSH tunnel to 127.0.0.1 "
            "keeps it private)",
            file=sys.stderr,
        )
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
