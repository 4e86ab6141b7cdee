"""How long the Models screen takes to list many runs.

Trains one tiny real run with `tofy train`, then makes RUNS-1 more run folders with the
engine (`runs.create_run`, its files copied through the engine's atomic writer, so each
folder is whole and distinct), in a fresh temporary TOFY_HOME. Measures:

- the engine's summaries of every run, cold (`RunBook.refresh` on a new book) and warm (the
  once-a-second refresh when nothing changed);
- the app: from pressing 2 (the Models screen's first show) until the table holds every run.

    python benchmarks/models_list.py [--runs 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHRASES = [f"phrase number {i} has some words in it and a tail {i % 7}" for i in range(200)]


def make_runs(count: int, home: Path) -> None:
    from tofy_core import fsutil
    from tofy_core.runs import folders as runs

    data = home / "tiny.txt"
    data.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    env = {**os.environ, "TOFY_HOME": str(home), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "tofy_core", "train", "--dim", "16", "--layers", "1",
         "--heads", "2", "--batch", "4", "--max-seq", "16", "--steps", "200",
         "--log-every", "5", "--eval-every", "50", "--run-id", "seed-run", "--", str(data)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    first = runs.open_run("seed-run")
    config = runs.read_config(first)
    names = ("model.safetensors", "state.safetensors", "vocab.txt", "metrics.jsonl")
    blobs = {name: first.file(name).read_bytes() for name in names}
    for i in range(count - 1):
        config.train.name = f"copy {i:03d}"
        info = runs.create_run(config, run_id=f"run-{i:03d}")
        for name, blob in blobs.items():
            fsutil.atomic_write_bytes(info.file(name), blob)
        info.status, info.pid, info.step = "finished", None, first.step
        runs.write_info(info)


def time_engine(rounds: int = 5) -> tuple[float, float, int]:
    from tofy_core.runs.summary import RunBook

    colds, warms = [], []
    for _ in range(rounds):
        book = RunBook()
        started = time.perf_counter()
        listed = book.refresh()
        colds.append(time.perf_counter() - started)
        started = time.perf_counter()
        book.refresh()
        warms.append(time.perf_counter() - started)
    return statistics.median(colds), statistics.median(warms), len(listed)


async def time_screen(count: int) -> float:
    from tofy_tui.app import TofyApp

    app = TofyApp()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        started = time.perf_counter()
        await pilot.press("2")
        screen = app.screen
        while screen.table.row_count < count:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="how many run folders")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TOFY_HOME"] = tmp
        made = time.perf_counter()
        make_runs(args.runs, Path(tmp))
        print(f"made {args.runs} run folders in {time.perf_counter() - made:.1f} s")
        cold, warm, listed = time_engine()
        print(f"engine summaries of {listed} runs: cold {cold * 1000:.0f} ms, "
              f"warm refresh {warm * 1000:.1f} ms (median of 5)")  # fmt: skip
        shown = asyncio.run(time_screen(args.runs))
        print(f"Models screen: key 2 to {args.runs} rows in the table: {shown * 1000:.0f} ms")


if __name__ == "__main__":
    main()
