"""How many distinct phrases the held-out side gets: one rule for the in-memory split and the
token cache's."""

from __future__ import annotations


def holdout_count(phrases: int, holdout: float) -> int:
    """How many phrases the held-out part gets: `holdout` of them rounded, at least one when
    there is a fraction to hold out and two phrases to split."""
    if holdout <= 0 or phrases < 2:
        return 0
    return max(1, round(phrases * holdout))
