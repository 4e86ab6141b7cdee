"""Interactive latency: `tofy diff` queries on a ~5M model, model load time, and how long
`tofy-tui` takes to become usable against a bare Textual app, measured in the same run.

- Diff: a seed-size model (dim 272, 3 layers, 8 heads, 8,000 words: ~5M parameters; weights
  from one training step, latency does not depend on them) saved as a run, loaded with
  `tofy_core.diff.Prober` (what `tofy diff` uses), then queried: parse, encode, predict,
  cosine against every word, rank, top-5 nearest. Query phrases of 12 and of 72 (= max_seq)
  tokens; p50 and p95 over all queries.
- Load: `Prober.load(run)` in this process (torch already imported), first and median of
  repeats; and the cold command `tofy diff RUN --query …` (a new Python process: interpreter,
  imports, load, one query) beside `python -c "import torch"` in the same run.
- TUI, in a real terminal: `python -m tofy_tui` (what `tofy-tui` runs) is launched on a
  pseudo-terminal (120×40) whose output a terminal emulator (`pyte`) turns into the screen a
  user would see. Drawn: every field of the Train form and its Start button are on screen.
  Usable: then a click on the Data field and one typed character are sent, and the character
  shows in the field. The bare app (a Textual `App` with a Header and a Footer, which shows a
  pressed key in its header) is measured the same way: drawn = header and footer on screen,
  usable = the same click and key sent then, the key shown. Launches alternate between the
  two; median and range of each, and the median of per-launch ratios.
- Secondary: spawn to Textual's `Ready` event (first frame, headless driver): work moved after
  the first frame is invisible to it, which is why the terminal figure is the one to read.

    python benchmarks/latency.py            # about a minute
    python benchmarks/latency.py --quick    # fewer queries and launches: a smoke run
"""

from __future__ import annotations

import argparse
import os
import random
import select
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import (
    REPO,
    SEED_SIZE,
    environment_line,
    median,
    model_config,
    percentile,
    synthetic_corpus,
    table,
    use_temporary_home,
)

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


def make_model(home: Path) -> tuple[str, list[str]]:
    """A seed-size run saved after one step; returns its id and the corpus lines."""
    from tofy_core import runs
    from tofy_core.config import RunConfig, TrainConfig
    from tofy_core.data.split import prepare_data
    from tofy_core.train import Trainer

    size = SEED_SIZE
    corpus = synthetic_corpus(home, words=size["max_vocab"] - 3, length=size["max_seq"], lines=400)
    model = model_config(size)
    config = RunConfig(
        model, TrainConfig(data=str(corpus), steps=1, batch=4, device="cpu")
    ).validate()
    trainer = Trainer(runs.create_run(config, "latency"), config, prepare_data(config))
    if trainer.fit() != "finished":
        raise SystemExit("could not train the benchmark model")
    lines = corpus.read_text(encoding="utf-8").splitlines()
    return "latency", lines


def queries(lines: list[str], words: int, count: int, seed: int = 0) -> list[str]:
    """`count` queries of `words` tokens: a corpus window with one word masked."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        tokens = rng.choice(lines).split()[:words]
        position = rng.randrange(len(tokens))
        answer = tokens[position]
        tokens[position] = "_"
        out.append(f"{' '.join(tokens)} => {answer}")
    return out


def diff_latency(run_id: str, lines: list[str], count: int) -> tuple[list[list], float, float]:
    from tofy_core.diff import Prober

    started = time.perf_counter()
    prober = Prober.load(run_id)
    first_load = time.perf_counter() - started
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        Prober.load(run_id)
        loads.append(time.perf_counter() - started)
    rows = []
    for words in (12, SEED_SIZE["max_seq"]):
        asked = queries(lines, words, count)
        for text in asked[:5]:  # warm-up
            prober.query(text)
        times = []
        for text in asked:
            started = time.perf_counter()
            prober.query(text)
            times.append(time.perf_counter() - started)
        rows.append(
            [
                f"diff query, {words}-token phrase",
                f"{1000 * percentile(times, 50):.2f} ms",
                f"{1000 * percentile(times, 95):.2f} ms",
                len(times),
            ]
        )
    return rows, first_load, median(loads)


def spawn_seconds(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def cold_diff(run_id: str, lines: list[str], repeats: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    query = queries(lines, 12, 1)[0]
    diff_cmd = [sys.executable, "-m", "tofy_core", "diff", run_id, "--query", query]
    torch_cmd = [sys.executable, "-c", "import torch"]
    diffs, imports = [], []
    for _ in range(repeats):
        imports.append(spawn_seconds(torch_cmd, env))
        diffs.append(spawn_seconds(diff_cmd, env))
    return median(diffs), median(imports)


def first_frame(kind: str) -> float:
    env = {**os.environ, "BENCH_SPAWNED": repr(time.time())}
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


# --- the TUI in a real terminal -----------------------------------------------------------

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
    """`python -m tofy_tui`: drawn when every Train field's label starts a line and the Start
    button is drawn; the click goes to the Data field (the form's first), after its label."""
    from tofy_tui.form_settings import FIELDS

    labels = [spec.label for spec in FIELDS]

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
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color"}
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Diff query latency (p50/p95) and model load time for a ~5M model, and "
        "how long tofy-tui takes, in a real terminal, until its Train form takes keys, "
        "against a bare Textual app, side by side.",
    )
    parser.add_argument(
        "--queries", type=int, default=200, help="queries per phrase length (default 200)"
    )
    parser.add_argument(
        "--launches", type=int, default=8, help="app launches of each kind (default 8)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="40 queries and 2 launches of each app: a smoke run"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.queries, args.launches = 40, 2
    if args.queries <= 0 or args.launches <= 0:
        parser.error("--queries and --launches must be positive")
    if sys.platform == "win32":
        sys.exit("latency.py measures the TUI on a POSIX pseudo-terminal: run it on Linux/macOS")
    home = use_temporary_home()
    run_id, lines = make_model(home)  # (a trainer sets torch's threads: report them after)
    print(f"# Latency, {environment_line()}", flush=True)
    from tofy_core.config import ModelConfig

    size = ModelConfig(
        dim=SEED_SIZE["dim"], layers=SEED_SIZE["layers"], max_vocab=SEED_SIZE["max_vocab"]
    )
    print(
        f"# model: dim {size.dim}, layers {size.layers}, heads {SEED_SIZE['heads']}, vocab "
        f"{size.max_vocab}: {size.parameter_count() / 1e6:.2f}M parameters",
        flush=True,
    )
    rows, first_load, load = diff_latency(run_id, lines, args.queries)
    print(table(["measure", "p50", "p95", "samples"], rows))
    print()
    cold, torch_import = cold_diff(run_id, lines, max(2, args.launches // 2))
    print(
        table(
            ["load", "time"],
            [
                ["Prober.load, first in this process", f"{1000 * first_load:.0f} ms"],
                ["Prober.load, median of 5 more", f"{1000 * load:.0f} ms"],
                ["cold `tofy diff RUN --query …` (new process)", f"{1000 * cold:.0f} ms"],
                ["  of which `python -c 'import torch'` alone", f"{1000 * torch_import:.0f} ms"],
            ],
        )
    )
    print()
    rows, ratio = terminal_rows(args.launches)
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
    note = (
        "drawn: tofy-tui's Train fields and Start button, or the bare app's header and footer, "
        "on screen; usable: a click on the Data field (the bare app's body) and a typed key, "
        "sent once drawn, shown."
    )
    print(textwrap.fill(note, 96))
    print()
    frames: dict[str, list[float]] = {"tofy": [], "bare": []}
    first_frame("bare")  # warm the file cache for both
    first_frame("tofy")
    for launch in range(args.launches):
        order = ("tofy", "bare") if launch % 2 == 0 else ("bare", "tofy")
        for kind in order:
            frames[kind].append(first_frame(kind))
    tofy, bare = median(frames["tofy"]), median(frames["bare"])
    ratios = [t / b for t, b in zip(frames["tofy"], frames["bare"], strict=True)]
    print(
        table(
            ["secondary: headless first frame (spawn → Ready)", "median", "launches"],
            [
                ["tofy-tui (TofyApp)", f"{1000 * tofy:.0f} ms", len(frames["tofy"])],
                ["bare textual App (empty)", f"{1000 * bare:.0f} ms", len(frames["bare"])],
                ["ratio (median of per-launch ratios)", f"{median(ratios):.2f}×", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
