"""The throughput benchmark's tables: tokens/s side by side, the ratios per round, each goal
met or not, and where a Tofy step's time goes."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass

from common import median, table
from reference import Measure

FORWARD_BACKWARD_OPTIMIZER = ("forward_loss", "optimizer_step")
SYNTHETIC, SYNTHETIC_REF = "Tofy, synthetic (full rows)", "reference, synthetic"
SYNTHETIC_SEED = "Tofy --recipe seed, synthetic (full rows)"
PLAIN_REF = "reference with BERT's dropout 0.1, synthetic"
NOTES = (
    "Tofy does less work per token than the reference: its last block computes queries, "
    "attention output and the feed-forward layer at the masked positions only (keys and "
    "values at every position), where the reference runs every layer at every position. "
    "Tokens/s compares how fast each trains on the same tokens, not the same arithmetic.\n"
    "Ratios are of real (non-pad) tokens/s, counted the same way for both sides, within a "
    "round, against the dropout-free reference; the dropout 0.1 reference is there for "
    "scale only.\n"
    "Executed GFLOP/s counts the FLOPs each side performs (Tofy fewer per token): it shows "
    "how busy the cores are kept, not speed, and is not comparable between the sides; the "
    "2048² matmul is a best case that a step's smaller shapes do not reach."
)


@dataclass(frozen=True)
class Goal:
    """`name` holds when `mine`'s real tokens/s over `theirs'`, median of the rounds, is at
    least `target`."""

    label: str
    mine: str
    theirs: str
    target: float


def round_ratios(measures: list[Measure], references: list[Measure]) -> list[float]:
    """Real tokens/s over the reference's, one ratio per round."""
    return [
        m.real_tokens_per_s / r.real_tokens_per_s for m, r in zip(measures, references, strict=True)
    ]


def report(results, pairs: list[tuple[str, str]], goals: list[Goal], steps: int) -> None:
    peaks = results["matmul"]
    rows = [["fp32 matmul 2048² (best case)", "—", "—", "—", median(peaks), "100%"]]
    groups: dict[str, list[str]] = {}
    for tofy_name, ref_name in pairs:
        groups.setdefault(ref_name, []).append(tofy_name)
    for ref_name, tofy_names in groups.items():
        extra = [PLAIN_REF] if ref_name == SYNTHETIC_REF else []
        for name in (*tofy_names, ref_name, *extra):
            measures = results[name]
            fractions = [m.gflops / p for m, p in zip(measures, peaks, strict=True)]
            rows.append(
                [
                    name,
                    median([m.tokens_per_s for m in measures]),
                    median([m.real_tokens_per_s for m in measures]),
                    f"{median(round_ratios(measures, results[ref_name])):.2f}×",
                    median([m.gflops for m in measures]),
                    f"{100 * median(fractions):.0f}%",
                ]
            )
    headers = [
        "contestant",
        "tokens/s (with pad)",
        "real tokens/s",
        "vs reference (real)",
        "executed GFLOP/s",
        "of the matmul",
    ]
    print(table(headers, rows))
    print()
    for goal in goals:
        ratios = round_ratios(results[goal.mine], results[goal.theirs])
        print(f"ratio per round, {goal.label}: " + ", ".join(f"{r:.2f}" for r in ratios))
    print()
    for goal in goals:
        ratio = median(round_ratios(results[goal.mine], results[goal.theirs]))
        verdict = "met" if ratio >= goal.target else "not met"
        print(f"goal ≥ {goal.target:.2f}×, {goal.label}: {ratio:.3f}× ({verdict})")
    print()
    print("\n".join(textwrap.fill(note, 96) for note in NOTES.splitlines()))
    print()
    print(breakdown(results, [pair[0] for pair in pairs], steps))


def breakdown(results, names: list[str], steps: int) -> str:
    """Where a Tofy step's time goes, summed over all rounds."""
    rows = []
    for name in names:
        measures = results[name]
        total = sum(m.seconds for m in measures)
        parts: dict[str, float] = defaultdict(float)
        for m in measures:
            for key, value in m.parts.items():
                parts[key] += value
        outside = total - sum(parts[k] for k in FORWARD_BACKWARD_OPTIMIZER)
        rows.append(
            [
                name,
                f"{1000 * total / (len(measures) * steps):.0f} ms",
                _share(parts["make_batch"], total),
                _share(parts["forward_loss"], total),
                _share(parts["optimizer_step"], total),
                _share(parts["ema_update"], total),
                _share(parts["maybe_log"], total),
                _share(total - sum(parts.values()), total),
                _share(outside, total),
            ]
        )
    headers = [
        "Tofy step",
        "per step",
        "make_batch",
        "forward+loss",
        "backward+clip+AdamW",
        "EMA",
        "log (every 10)",
        "loop rest",
        "outside fwd/bwd/opt",
    ]
    return table(headers, rows)


def _share(part: float, total: float) -> str:
    return f"{100 * part / total:.1f}%"
