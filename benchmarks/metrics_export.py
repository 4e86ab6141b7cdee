"""How long getting a long run's metrics out takes: `tofy metrics` (long CSV, wide CSV, JSON)
and `tofy export --tensorboard`, each a whole command (Python and the CLI's imports included).

Trains one tiny real run with `tofy train` in a fresh temporary TOFY_HOME, then stretches its
metrics.jsonl to STEPS logged steps (its own step and eval events repeated with new steps,
times and token counts, an eval every 20 logged steps, as a 10-step log interval and
200-step evaluations give): the size of a long training run's log.

    python benchmarks/metrics_export.py [--steps 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHRASES = [f"phrase number {i} has some words in it and a tail {i % 7}" for i in range(200)]


def train_tiny(home: Path, env: dict[str, str]) -> Path:
    data = home / "tiny.txt"
    data.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "tofy_core", "train", "--dim", "16", "--layers", "1"]
    command += ["--heads", "2", "--batch", "4", "--steps", "20", "--log-every", "5"]
    command += ["--eval-every", "10", "--run-id", "long", "--", str(data)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    return home / "data" / "runs" / "long"


def stretch(run: Path, steps: int) -> int:
    """metrics.jsonl with `steps` step events; returns its line count."""
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = next(e for e in events if e["event"] == "start")
    step = next(e for e in events if e["event"] == "step")
    scored = next(e for e in events if e["event"] == "eval")
    lines = [json.dumps(start)]
    for i in range(1, steps + 1):
        lines.append(json.dumps({**step, "step": i * 10, "time": step["time"] + i,
                                 "real_tokens": i * 1000}))  # fmt: skip
        if i % 20 == 0:
            lines.append(json.dumps({**scored, "step": i * 10, "time": step["time"] + i}))
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tofy_core", *args], env=env, check=True,
                          capture_output=True)  # fmt: skip
    return time.perf_counter() - began, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="logged steps in the log")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tofy-metrics-bench-"))
    env = {**os.environ, "TOFY_HOME": str(home), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    run = train_tiny(home, env)
    lines = stretch(run, args.steps)
    size = (run / "metrics.jsonl").stat().st_size
    print(f"metrics.jsonl: {lines:,} events, {size / 2**20:.1f} MiB")
    print(f"tofy --version (start-up): {timed(['--version'], env)[0]:.2f}s")
    for label, command in (
        ("tofy metrics (long CSV)", ["metrics", "long"]),
        ("tofy metrics --wide", ["metrics", "long", "--wide"]),
        ("tofy metrics --json", ["metrics", "long", "--json"]),
        ("tofy export --tensorboard", ["export", "long", str(home / "out"), "--tensorboard"]),
    ):
        seconds, written = timed(command, env)
        print(f"{label}: {seconds:.2f}s ({written / 2**20:.1f} MiB on stdout)")
    try:
        load = os.getloadavg()[0]
        print(f"load average while measuring: {load:.1f} on {os.cpu_count()} cores")
    except OSError:
        pass


if __name__ == "__main__":
    main()
