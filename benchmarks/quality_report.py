"""How quality.py prints its results: one row per method with top-1, top-10, mean and median
rank and the top-10 of each frequency band, and the note saying what the bands are."""

from __future__ import annotations

from common import table
from quality_methods import BANDS


def results_table(scored: dict[str, dict], seconds: dict[str, float | None]) -> str:
    """One row per method: top-1, top-10, mean and median rank, top-10 per frequency band."""
    bands = [name for name, _ in BANDS]
    rows = [
        [
            name,
            *score_cells(result),
            f"{result['median_rank']:.0f}",
            *(f"{100 * result[f'{band}_top10']:.1f}%" for band in bands),
            "—" if seconds[name] is None else f"{seconds[name]:.0f} s",
        ]
        for name, result in scored.items()
    ]
    head = ["method", "top-1", "top-10", "mean rank", "median rank"]
    return table([*head, *(f"{band} top-10" for band in bands), "train time"], rows)


def band_note(result: dict) -> str:
    """How many held-out words fall in each band, and what the bands are."""
    counts = ", ".join(f"{band} {result[f'{band}_count']:,}" for band, _ in BANDS)
    return (
        f"held-out words per band: {counts} (frequent: the most common words that make up "
        "half of the training tokens; middle: the next 40%; rare: the last 10%)"
    )


def score_cells(result: dict[str, float]) -> list[str]:
    return [
        f"{100 * result['top1']:.1f}%",
        f"{100 * result['top10']:.1f}%",
        f"{result['mean_rank']:.1f}",
    ]


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "—"
