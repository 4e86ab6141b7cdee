"""How start-up, memory and speed grow with the corpus: `tofy train` on generated text of
10k / 100k / 1M / 10M lines, each started twice (cold: nothing cached; warm: the same file
again), as a user runs it.

The text is generated here, never downloaded: a seeded word-level generator over the words of
the embedded corpus (Zipf-weighted, 5 to 30 words a line, one line in twenty a repeat, a few
`context<TAB>response` lines), cached under the temp folder by size. Each start is a child
process watched from outside: wall and CPU (children included) until its first step event,
its peak RSS (VmHWM: the start included) and the largest RSS sampled during the first 50
steps, steps/s between steps 10 and 60, and the token cache's size on disk.

    python benchmarks/scale.py --sizes 10k,100k
    python benchmarks/scale.py --sizes 1M --steps 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
MODEL = ["--dim", "64", "--layers", "1", "--heads", "2", "--batch", "32", "--max-seq", "48"]


def corpus_words() -> list[str]:
    """The distinct words of the embedded corpus's context sides, in first-seen order."""
    seen: dict[str, None] = {}
    for line in (REPO / "assets" / "corpus.txt").read_text(encoding="utf-8").splitlines():
        for word in line.split("\t", 1)[0].split():
            seen.setdefault(word.strip(".,!?").lower() or word, None)
    return list(seen)


def generate(lines: int, path: Path, seed: int = 0) -> Path:
    """`lines` lines of generated text at `path` (reused when already there)."""
    if path.is_file():
        return path
    rng = random.Random(seed)
    words = corpus_words()
    weights = [1 / (rank + 1) for rank in range(len(words))]
    marks = [".", "?", "!", ","]
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        recent: list[str] = []
        block = 10_000
        for start in range(0, lines, block):
            count = min(block, lines - start)
            picks = iter(rng.choices(words, weights, k=count * 30))
            for _ in range(count):
                if recent and rng.random() < 0.05:
                    out.write(rng.choice(recent))
                    continue
                phrase = " ".join(next(picks) for _ in range(rng.randint(5, 30)))
                line = phrase + rng.choice(marks)
                if rng.random() < 0.1:
                    line += "\treply " + next(picks)
                line += "\n"
                out.write(line)
                if len(recent) < 1000:
                    recent.append(line)
                else:
                    recent[rng.randrange(1000)] = line
    tmp.rename(path)
    return path


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def steps_in(metrics: Path) -> dict[int, dict]:
    events: dict[int, dict] = {}
    if metrics.is_file():
        for line in metrics.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line being written
            if event.get("event") == "step":
                events[int(event["step"])] = event
    return events


def one_start(data: Path, home: Path, run_id: str, steps: int) -> dict:
    """Train `steps` steps on `data` in a child process and measure it."""
    env = {**os.environ, "TOFY_HOME": str(home), "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "tofy_core", "train", str(data), "--run-id", run_id]
    argv += [*MODEL, "--steps", str(steps), "--log-every", "1", "--eval-every", "100000"]
    argv += ["--device", "cpu"]
    metrics = home / "data" / "runs" / run_id / "metrics.jsonl"
    began = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first_wall = first_cpu = None
    rss_steps = 0
    hwm = 0
    while child.poll() is None:
        events = steps_in(metrics)
        try:
            if events and first_wall is None:
                first_wall, first_cpu = time.perf_counter() - began, cpu_seconds(child.pid)
            if events and max(events) <= 50:
                rss_steps = max(rss_steps, status_kb(child.pid, "VmRSS"))
            hwm = max(hwm, status_kb(child.pid, "VmHWM"))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.02)
    err = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.wait() != 0:
        raise SystemExit(f"train failed ({child.returncode}): {err.strip()[-800:]}")
    events = steps_in(metrics)
    low, high = 10, max(events)
    rate = (high - low) / (events[high]["elapsed"] - events[low]["elapsed"])
    return {
        "first_wall": first_wall,
        "first_cpu": first_cpu,
        "rss_steps_mb": rss_steps / 1024,
        "peak_mb": hwm / 1024,
        "steps_per_s": rate,
        "said": " | ".join(line for line in err.splitlines() if "cache" in line)[:120],
    }


def folder_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k,100k,1M,10M")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--texts", type=Path, default=Path(tempfile.gettempdir()) / "tofy-scale")
    args = parser.parse_args()
    args.texts.mkdir(parents=True, exist_ok=True)
    header = "lines | MB | cold wall s | cold CPU s | warm wall s | RSS steps 1-50 MB"
    print(header + " | peak RSS MB | steps/s | cache MB")
    for name in args.sizes.split(","):
        lines = SIZES[name.strip()]
        data = generate(lines, args.texts / f"scale-{name.strip()}.txt")
        home = Path(tempfile.mkdtemp(prefix="tofy-scale-home-"))
        try:
            cold = one_start(data, home, "cold", args.steps)
            warm = one_start(data, home, "warm", args.steps)
            cache = folder_mb(home / "cache" / "tokens")
        finally:
            shutil.rmtree(home, ignore_errors=True)
        size = data.stat().st_size / 2**20
        print(
            f"{name} | {size:.0f} | {cold['first_wall']:.1f} | {cold['first_cpu']:.1f} | "
            f"{warm['first_wall']:.1f} | {cold['rss_steps_mb']:.0f} (warm "
            f"{warm['rss_steps_mb']:.0f}) | {cold['peak_mb']:.0f} | {cold['steps_per_s']:.1f} "
            f"| {cache:.1f}",
            flush=True,
        )
        if cold["said"] or warm["said"]:
            print(f"#   said: {cold['said']} / {warm['said']}", flush=True)


if __name__ == "__main__":
    main()
