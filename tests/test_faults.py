"""A training child SIGKILLed at random moments, checkpoint writes included (each atomic write
waits between fsync and rename, widening that window): every run still lists, resumes from
its last complete checkpoint, loses at most `checkpoint_every` steps, and ends bit-identical
to the run nobody interrupted. `python benchmarks/sigkill.py --tries 15` runs more."""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path

from tofy_core import paths
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def sigkill():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("sigkill")


def test_sigkilled_runs_resume_bit_identical_losing_at_most_one_checkpoint(tmp_path):
    harness = sigkill()
    data = harness.write_corpus(tmp_path / "corpus.txt")
    expected: dict = {}  # the uninterrupted run's tensors, made on first use
    rng = random.Random(13)
    outcomes = [harness.kill_and_resume(data, f"kill-{i}", rng, expected) for i in range(3)]
    assert expected
    for outcome in outcomes:
        assert outcome.listed_as == "interrupted" or outcome.saved == harness.STEPS, outcome
        assert outcome.saved is not None, outcome  # every kill came after the first save
        assert outcome.lost <= harness.EVERY, outcome
        assert outcome.resumed and outcome.identical, outcome
        folder = paths.runs_dir() / outcome.run_id
        assert not list(folder.glob(".*.tmp"))  # a killed write's leftovers are gone
        steps = [e["step"] for e in read_events(folder / runs.METRICS_FILE) if e["event"] == "step"]
        assert steps == list(range(1, harness.STEPS + 1))  # replayed steps read once
