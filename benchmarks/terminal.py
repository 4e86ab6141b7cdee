"""`tofy-tui` in a real terminal, and its headless first frame, each beside a bare Textual
app launched the same way (see latency.py's description; run through it).

- In a terminal: `python -m tofy_tui` is launched on a pseudo-terminal (120×40) whose output a
  terminal emulator (`pyte`) turns into the screen a user would see, read once all the output
  written so far is in (not after every 4 KiB chunk of a frame, which charged the app with the
  emulator's own work). Drawn: every field the Train form opens with (the Advanced section is
  collapsed) and its Start button are on screen. Usable: then a click on the Data field and
  one typed character are sent, and the character shows in the field. The bare app (a Textual
  `App` with a Header and a Footer, which shows a pressed key in its header) is measured the
  same way. Both run from cached bytecode, as installed packages do (`compiled_env`).
- Headless: spawn to Textual's `Ready` event (first frame): work moved after the first frame
  is invisible to it, which is why the terminal figure is the one to read."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import REPO, median, table

FIRST_FRAME_CHILD = textwrap.dedent(
    """
    import inspect, os, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    kind = sys.argv[1]
    if kind == "tofy":
        from tofy_tui.app import TofyApp as Base
    else:
        from textual.app import App as Base

    class Probe(Base):
        if isinstance(Base.CSS_PATH, str):  # relative to the app's own file, not this one
            CSS_PATH = str(Path(inspect.getfile(Base)).parent / Base.CSS_PATH)

        def on_ready(self) -> None:
            self.exit(time.time() - float(os.environ["BENCH_SPAWNED"]))

    print(repr(Probe().run(headless=True, size=(120, 40))))
    """
)


PYCACHE = Path(tempfile.gettempdir()) / f"tofy-bench-pycache-{os.getuid()}"


def compiled_env(**extra: str) -> dict[str, str]:
    """The environment apps are launched in: with their bytecode cached (under the temp
    folder, filled by the unmeasured first launches), as for an installed package, even where
    PYTHONDONTWRITEBYTECODE is set (which made every launch compile Tofy's own modules)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return {**env, **extra}


def first_frame(kind: str) -> float:
    env = compiled_env(BENCH_SPAWNED=repr(time.time()))
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_CHILD, kind, str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise SystemExit(f"the {kind} app did not start:\n{done.stderr[-2000:]}")
    return float(lines[-1])


TERMINAL = (120, 40)  # columns, rows: the headless figure's size too
PROBE_KEY = "7"  # typed into the Data field; bound to nothing in either app
BARE_CHILD = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Header

    class Bare(App):
        TITLE = "Bare"

        def compose(self):
            yield Header()
            yield Footer()

        def on_key(self, event) -> None:
            if event.character:
                self.sub_title = "key " + event.character

    Bare().run()
    """
)


@dataclass
class TerminalApp:
    """How to launch one app, when its screen counts as drawn, and where to click before
    typing (None: drawn is not reached yet); `accepted` says the typed key is on screen."""

    name: str
    argv: list[str]
    drawn: Callable[[list[str]], tuple[int, int] | None]
    accepted: Callable[[list[str]], bool]


def tofy_app() -> TerminalApp:
    """`python -m tofy_tui`: drawn when the label of every Train field shown when the form
    opens (all but the collapsed Advanced ones) starts a line and the Start button is drawn;
    the click goes to the Data field (the form's first), after its label."""
    from tofy_tui.form_settings import FIELDS

    labels = [spec.label for spec in FIELDS if not getattr(spec, "advanced", False)]

    def drawn(lines: list[str]) -> tuple[int, int] | None:
        starts = [line.strip() for line in lines]
        if not any(text.startswith("Start ") for text in starts):
            return None
        if not all(any(text.startswith(label) for text in starts) for label in labels):
            return None
        return field_position(lines, labels[0])

    def accepted(lines: list[str]) -> bool:
        found = field_position(lines, labels[0])
        return found is not None and lines[found[0]][found[1] :].startswith(PROBE_KEY)

    return TerminalApp("tofy-tui", [sys.executable, "-m", "tofy_tui"], drawn, accepted)


def bare_app() -> TerminalApp:
    """A Textual App with a Header and a Footer: drawn when both are; the click lands in the
    empty body, the key shows in the header."""

    def drawn(lines: list[str]) -> tuple[int, int] | None:
        if "Bare" in lines[0] and "palette" in lines[-1]:
            return (1, 12)
        return None

    def accepted(lines: list[str]) -> bool:
        return f"key {PROBE_KEY}" in lines[0]

    return TerminalApp("bare textual App", [sys.executable, "-c", BARE_CHILD], drawn, accepted)


def field_position(lines: list[str], label: str) -> tuple[int, int] | None:
    """(row, column) of the first cell after `label` and its padding on the line it starts."""
    for row, line in enumerate(lines):
        text = line.lstrip()
        if text.startswith(label + " "):
            column = len(line) - len(text) + len(label)
            while column < len(line) and line[column] == " ":
                column += 1
            return row, column
    return None


def click(row: int, column: int) -> bytes:
    """A left click at a 0-based cell, as an xterm SGR mouse report (press, release)."""
    x, y = column + 1, row + 1
    return f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m".encode()


@dataclass
class Launch:
    """One launch in a terminal: seconds from the spawn until drawn and until the key typed
    once drawn shows, and the screen at that moment."""

    drawn: float
    usable: float
    screen: list[str]


def terminal_launch(app: TerminalApp, timeout: float = 60.0) -> Launch:
    """Spawn `app` on a new pseudo-terminal, read its screen as a terminal would show it,
    click and type once it is drawn, and stop it once the key shows."""
    import fcntl
    import struct
    import termios

    import pyte

    columns, rows = TERMINAL
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    env = compiled_env(PYTHONPATH=str(REPO), TERM="xterm-256color")
    for name in ("COLUMNS", "LINES"):  # the size comes from the terminal, as for a user
        env.pop(name, None)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.perf_counter()
    child = subprocess.Popen(
        app.argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=os.environ.get("TOFY_HOME"),
        start_new_session=True,
    )
    os.close(slave)
    drawn_at = None
    try:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.01)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                stream.feed(os.read(master, 65536))
            except OSError:  # the child closed the terminal
                break
            if select.select([master], [], [], 0)[0]:
                continue  # more of the frame is waiting: the screen is read once it is all in
            now = time.perf_counter()
            lines = screen.display
            if drawn_at is None:
                target = app.drawn(lines)
                if target is not None:
                    drawn_at = now - started
                    os.write(master, click(*target) + PROBE_KEY.encode())
            elif app.accepted(lines):
                return Launch(drawn_at, now - started, list(lines))
        stage = "drawn" if drawn_at is None else "showing the typed key"
        shown = "\n".join(line.rstrip() for line in screen.display).strip()
        raise SystemExit(f"{app.name} was not {stage} after {timeout:.0f} s; its screen:\n{shown}")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        os.close(master)


def terminal_rows(launches: int) -> tuple[list[list], str]:
    """Alternating launches of both apps (one unmeasured launch of each first, to warm the
    file cache): a table row per app and measure, and the per-launch ratio line."""
    try:
        import pyte  # noqa: F401
    except ImportError:
        raise SystemExit(
            "the terminal measurement reads the screen with pyte: pip install -e '.[bench]'"
        ) from None
    apps = {"tofy": tofy_app(), "bare": bare_app()}
    for app in apps.values():
        terminal_launch(app)
    times: dict[str, list[Launch]] = {"tofy": [], "bare": []}
    for launch in range(launches):
        order = ("tofy", "bare") if launch % 2 == 0 else ("bare", "tofy")
        for kind in order:
            times[kind].append(terminal_launch(apps[kind]))
    rows = []
    for kind, app in apps.items():
        drawn = [one.drawn for one in times[kind]]
        usable = [one.usable for one in times[kind]]
        rows.append([app.name, spread(drawn), spread(usable), len(usable)])
    ratios = [t.usable / b.usable for t, b in zip(times["tofy"], times["bare"], strict=True)]
    ratio = (
        f"usable, tofy-tui / bare App: {median(ratios):.2f}× (median of per-launch ratios; "
        f"range {min(ratios):.2f}–{max(ratios):.2f}×)"
    )
    return rows, ratio


def spread(values: list[float]) -> str:
    """Median and range in milliseconds."""
    low, high = 1000 * min(values), 1000 * max(values)
    return f"{1000 * median(values):.0f} ms ({low:.0f}–{high:.0f})"


def headless_rows(launches: int) -> list[list]:
    """Spawn → Ready for both apps, alternating (one unmeasured launch of each first)."""
    frames: dict[str, list[float]] = {"tofy": [], "bare": []}
    first_frame("bare")  # warm the file cache for both
    first_frame("tofy")
    for launch in range(launches):
        order = ("tofy", "bare") if launch % 2 == 0 else ("bare", "tofy")
        for kind in order:
            frames[kind].append(first_frame(kind))
    tofy, bare = median(frames["tofy"]), median(frames["bare"])
    ratios = [t / b for t, b in zip(frames["tofy"], frames["bare"], strict=True)]
    return [
        ["tofy-tui (TofyApp)", f"{1000 * tofy:.0f} ms", len(frames["tofy"])],
        ["bare textual App (empty)", f"{1000 * bare:.0f} ms", len(frames["bare"])],
        ["ratio (median of per-launch ratios)", f"{median(ratios):.2f}×", ""],
    ]


def print_terminal_tables(launches: int) -> None:
    before = os.getloadavg()[0]
    rows, ratio = terminal_rows(launches)
    after = os.getloadavg()[0]
    print(
        table(
            [
                "in a terminal, from spawn",
                "drawn: median (range)",
                "usable: median (range)",
                "launches",
            ],
            rows,
        )
    )
    print(ratio)
    print(  # other work on the machine slows the bigger app more: a ratio wants a quiet one
        f"machine load (1-minute average) {before:.2f} before, {after:.2f} after, "
        f"on {os.cpu_count()} CPUs"
    )
    note = (
        "drawn: tofy-tui's Train fields and Start button, or the bare app's header and footer, "
        "on screen; usable: a click on the Data field (the bare app's body) and a typed key, "
        "sent once drawn, shown."
    )
    print(textwrap.fill(note, 96))
    print()
    print(
        table(
            ["secondary: headless first frame (spawn → Ready)", "median", "launches"],
            headless_rows(launches),
        )
    )
