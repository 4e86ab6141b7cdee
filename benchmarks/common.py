"""Helpers shared by the benchmarks: an isolated TOFY_HOME, the seed-size configuration, a
synthetic corpus whose phrases fill `max_seq`, the fp32 matmul peak, and plain-text tables.

The benchmarks are scripts (`python benchmarks/NAME.py`), so this module puts the repository
root on `sys.path`: they run from a fresh clone without installing the package."""

from __future__ import annotations

import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The "seed ~5M" configuration: every benchmark measures this size unless told.
SEED_SIZE = dict(dim=272, layers=3, heads=8, max_seq=72, batch=32, max_vocab=8000)


def model_config(size: dict) -> object:
    """The engine's ModelConfig for a size dict such as SEED_SIZE (imported late: torch-free
    callers of this module stay light)."""
    from tofy_core.config import ModelConfig

    return ModelConfig(
        dim=size["dim"],
        layers=size["layers"],
        heads=size["heads"],
        max_seq=size["max_seq"],
        max_vocab=size["max_vocab"],
    )


def use_temporary_home(share_cache: bool = False) -> Path:
    """Point TOFY_HOME at a fresh temporary folder, so runs never touch the user's data;
    it is removed when the benchmark exits (the quality run writes ~400 MB of checkpoints).
    With `share_cache`, its cache is a link to the user's own, so a `hub:` dataset converted
    before is read from there (offline too) and one converted now is kept."""
    cache = None
    if share_cache:
        from tofy_core import paths

        cache = paths.cache_dir()
    home = Path(tempfile.mkdtemp(prefix="tofy-bench-"))
    if cache is not None:
        (home / "cache").symlink_to(cache, target_is_directory=True)
    os.environ["TOFY_HOME"] = str(home)
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def synthetic_corpus(folder: Path, words: int, length: int, lines: int, seed: int = 0) -> Path:
    """Lines of exactly `length` words drawn from `words` distinct words (w0, w1, ...), each
    word present at least once, so every batch is `batch × length` real tokens and the
    vocabulary is exactly `words` + 3 specials."""
    rng = random.Random(seed)
    names = [f"w{i}" for i in range(words)]
    pool = names * max(1, (length * lines) // words + 1)
    rng.shuffle(pool)
    path = folder / f"synthetic-{words}w-{length}t.txt"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            handle.write(" ".join(pool[i * length : (i + 1) * length]) + "\n")
    return path


def matmul_gflops(size: int = 2048, repeats: int = 6, clock=time.perf_counter) -> float:
    """Achieved fp32 GFLOP/s of one `size × size` matmul, the best of `repeats`."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        torch.mm(a, b, out=out)
        best = min(best, clock() - start)
    return 2 * size**3 / best / 1e9


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned (Markdown-ish,
    so the README can hold it verbatim)."""
    from tofy_core.format import format_table

    cells = [[_cell(value) for value in row] for row in rows]
    return format_table(headers, cells, right=range(1, len(headers)), markdown=True)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def environment_line() -> str:
    import platform

    import torch

    return (
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}, python {platform.python_version()}"
    )


def require_transformers():
    """The reference model's library, with a clear message where the bench extra is missing."""
    try:
        import transformers
    except ImportError:
        sys.exit(
            "this benchmark compares against Hugging Face transformers: "
            "pip install -e '.[bench]'  (or: pip install 'transformers>=4.40')"
        )
    return transformers
