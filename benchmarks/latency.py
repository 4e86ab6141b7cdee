"""Interactive latency: `tofy diff` queries on a ~5M model, model load time, and `tofy-tui`'s
time to first frame against a bare Textual app, measured in the same run.

- Diff: a seed-size model (dim 272, 3 layers, 8 heads, 8,000 words: ~5M parameters; weights
  from one training step, latency does not depend on them) saved as a run, loaded with
  `tofy_core.diff.Prober` (what `tofy diff` and the TUI's Diff screen use), then queried:
  parse, encode, predict, cosine against every word, rank, top-5 nearest. Query phrases of 12
  and of 72 (= max_seq) tokens; p50 and p95 over all queries.
- Load: `Prober.load(run)` in this process (torch already imported), first and median of
  repeats; and the cold command `tofy diff RUN --query …` (a new Python process: interpreter,
  imports, load, one query) beside `python -c "import torch"` in the same run.
- TUI: a new process per launch, from spawn to the first frame drawn (Textual's `Ready`
  event, headless driver, 120×40), for `TofyApp` and for an empty `App`, alternating.

    python benchmarks/latency.py            # about a minute
    python benchmarks/latency.py --quick
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import textwrap
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
    from tofy_core.train import Trainer, prepare_data

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Diff query latency (p50/p95) and model load time for a ~5M model, and "
        "tofy-tui's time to first frame against a bare Textual app, side by side.",
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per phrase length")
    parser.add_argument("--launches", type=int, default=6, help="app launches of each kind")
    parser.add_argument("--quick", action="store_true", help="fewer queries and launches")
    args = parser.parse_args()
    if args.quick:
        args.queries, args.launches = 40, 2
    home = use_temporary_home()
    print(f"# Latency, {environment_line()}", flush=True)
    run_id, lines = make_model(home)
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
            ["first frame (spawn → Ready)", "median", "launches"],
            [
                ["tofy-tui (TofyApp)", f"{1000 * tofy:.0f} ms", len(frames["tofy"])],
                ["bare textual App", f"{1000 * bare:.0f} ms", len(frames["bare"])],
                ["ratio (median of per-launch ratios)", f"{median(ratios):.2f}×", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
