"""The reliability harnesses of benchmarks/, run in CI.

- SIGKILL (benchmarks/sigkill.py): a training child killed at moments its own writes name,
  through fsutil's test hook: inside a write (the first state's, a model's), between writes
  (the state and the model file of one checkpoint; two checkpoints), and so before and
  after the first checkpoint (`sigkill.py` alone runs more points). Each run then lists,
  holds no torn file, and resumes bit-identical to an uninterrupted run (or, with no
  checkpoint, resume says plainly there is none).
- Faults (benchmarks/faults.py --fast, the CI subset: a tiny run, about a hundred cases,
  each checked for its exit status, its message and what is left on disk)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def test_sigkills_inside_and_between_writes_lose_nothing(tmp_path):
    harness = benchmark("sigkill")
    outcomes = harness.run_points(tmp_path, chosen=harness.CI_POINTS)
    assert len(outcomes) == 4
    for outcome in outcomes:  # each kill landed at its pause: the child was waiting there
        assert outcome.killed_at.endswith(f"{outcome.point.file}.{outcome.point.phase}"), outcome
        assert not outcome.problems, (outcome.point.label, outcome.problems)
    assert {o.point.phase for o in outcomes} == {"written", "renamed"}  # inside and between
    assert {o.point.saved is None for o in outcomes} == {True, False}  # before the first too


def test_fault_probe_fast_subset(capsys):
    """CI's subset of the fault probe: exits 0 only if every case held (status, message,
    disk); the table of failures is in the assertion message."""
    faults = benchmark("faults")
    code = faults.main(["--fast"])
    report = capsys.readouterr().out
    assert code == 0, report
    assert "traceback    0" in report and "wrong        0" in report
