"""Interactive latency: `tofy diff` queries on a ~5M model, model load time, the Diff
screen (key 3 → usable input, Enter → updated gauges), and how long `tofy-tui` takes to become
usable against a bare Textual app (terminal.py), measured in the same run.

- Diff: a seed-size model (dim 272, 3 layers, 8 heads, 8,000 words: ~5M parameters; weights
  from one training step, latency does not depend on them) saved as a run, loaded with
  `tofy_core.diff.Prober` (what `tofy diff` and the Diff screen use), then queried: parse,
  encode, predict, cosine against every word, rank, top-5 nearest. Query phrases of 12 and of
  72 (= max_seq) tokens; p50 and p95 over all queries.
- Load: `Prober.load(run)` in this process (torch already imported), first and median of
  repeats; and the cold command `tofy diff RUN --query …` (a new Python process: interpreter,
  imports, load, one query) beside `python -c "import torch"` in the same run.
- Diff screen, in a fresh process (headless Textual, 120×40, the app already on its first
  screen): from pressing 3 until the Diff screen's first refresh, input focused (usable), and
  until the default model is loaded (the first load imports torch); then, model loaded, from
  Enter until the refresh that draws the new gauges is done (12-token phrases), marked inside
  the app, so Pilot's own waiting is not counted.
- TUI start-up, in a real terminal and headless: see terminal.py.

    python benchmarks/latency.py              # about a minute
    python benchmarks/latency.py --quick      # fewer queries and launches: a smoke run
    python benchmarks/latency.py --tui-only   # tofy-tui's start-up only (~20 s)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
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
from terminal import (  # noqa: F401  (tests and users reach the terminal harness here too)
    PROBE_KEY,
    bare_app,
    print_terminal_tables,
    terminal_launch,
    tofy_app,
)


def make_model(home: Path) -> tuple[str, list[str]]:
    """A seed-size run saved after one step; returns its id and the corpus lines."""
    from tofy_core.config import RunConfig, TrainConfig
    from tofy_core.data.split import prepare_data
    from tofy_core.runs import folders as runs
    from tofy_core.train.trainer import Trainer

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
    from tofy_core.probe.prober import Prober

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


# --- the Diff screen ------------------------------------------------------------------------


async def screen_session(asked: list[str]) -> dict[str, object]:
    """In this (fresh) process, on a started TofyApp: press 3, then time until the Diff screen
    is drawn with its input focused (the first refresh after it mounted, which is when it
    starts loading) and until the default model is loaded; then, for each query, from the
    Enter key until the refresh that draws the updated gauges is done. Marks are taken inside
    the app (Pilot's own waiting, ~60 ms even for a bare app, is not counted)."""
    from textual.widgets import Input

    from tofy_tui.app import TofyApp
    from tofy_tui.screens.diff import DiffScreen

    marks: dict[str, float] = {}
    start_load = DiffScreen._start_load

    def drawn(screen: DiffScreen, ref: str) -> None:  # called after the first refresh
        marks.setdefault("drawn", time.perf_counter())
        start_load(screen, ref)

    DiffScreen._start_load = drawn  # type: ignore[method-assign]

    async def until(pilot, done, limit: float = 120.0) -> None:
        deadline = time.perf_counter() + limit
        while not done():
            if time.perf_counter() > deadline:
                raise SystemExit("the Diff screen did not get there in time")
            await pilot.pause(0.001)

    app = TofyApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("3")
        screen = app.screen
        await until(pilot, lambda: "drawn" in marks)
        if not isinstance(app.focused, Input):
            raise SystemExit("the Diff screen's input does not have the focus")
        usable = marks["drawn"] - started
        await until(pilot, lambda: getattr(screen, "prober", None) is not None)
        loaded = time.perf_counter() - started
        ask = screen.ask

        def timed_ask(text: str, record: bool = True):
            answer = ask(text, record)
            screen.call_after_refresh(lambda: marks.__setitem__("shown", time.perf_counter()))
            return answer

        screen.ask = timed_ask  # type: ignore[method-assign]
        field = screen.query_one("#diff-input", Input)
        times = []
        for text in asked:
            field.value = text
            await pilot.pause()
            marks.pop("shown", None)
            began = time.perf_counter()
            await pilot.press("enter")
            await until(pilot, lambda: "shown" in marks)
            times.append(marks["shown"] - began)
    return {"usable": usable, "loaded": loaded, "enter": times}


def screen_latency(lines: list[str], count: int) -> dict[str, object]:
    """`screen_session` in a new process (torch not yet imported, as for a user)."""
    asked = queries(lines, 12, count, seed=1)
    child = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); import latency; "
        "print(json.dumps(asyncio.run(latency.screen_session(json.loads(sys.argv[2])))))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", child, str(Path(__file__).parent), json.dumps(asked)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the Diff screen measurement failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Diff query latency (p50/p95) and model load time for a ~5M model, the "
        "Diff screen's key 3 → input and Enter → gauges, and how long tofy-tui takes, in a "
        "real terminal, until its Train form takes keys, against a bare Textual app.",
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
    parser.add_argument(
        "--diff-only", action="store_true", help="only the diff query and Diff screen figures"
    )
    parser.add_argument(
        "--tui-only",
        action="store_true",
        help="only tofy-tui's start-up against a bare Textual app (no model is trained)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.queries, args.launches = 40, 2
    if args.queries <= 0 or args.launches <= 0:
        parser.error("--queries and --launches must be positive")
    if sys.platform == "win32":
        sys.exit("latency.py measures the TUI on a POSIX pseudo-terminal: run it on Linux/macOS")
    if args.diff_only and args.tui_only:
        parser.error("--diff-only and --tui-only leave nothing to measure together")
    home = use_temporary_home()
    if args.tui_only:
        print(f"# Latency, {environment_line()}", flush=True)
        print_terminal_tables(args.launches)
        return
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
    tui = screen_latency(lines, max(10, args.queries // 4))
    enter = tui["enter"]
    print(
        table(
            ["Diff screen (headless, fresh process)", "time"],
            [
                ["key 3 → screen drawn, input focused", f"{1000 * tui['usable']:.0f} ms"],
                ["key 3 → default model loaded (imports torch)", f"{1000 * tui['loaded']:.0f} ms"],
                [
                    f"Enter → gauges drawn, p50 / p95 of {len(enter)}",
                    f"{1000 * percentile(enter, 50):.1f} / {1000 * percentile(enter, 95):.1f} ms",
                ],
            ],
        )
    )
    print()
    if args.diff_only:
        return
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
    print_terminal_tables(args.launches)


if __name__ == "__main__":
    main()
