"""SIGKILL a training child at random moments (checkpoint writes included), then check that
every run opens, resumes from its last complete checkpoint, loses at most `checkpoint_every`
steps, and ends bit-identical to an uninterrupted run.

    python benchmarks/sigkill.py --tries 15        # prints the table; tests/test_faults.py
                                                   # runs the same functions with few tries

`TOFY_TEST_WRITE_DELAY` makes every atomic write wait between fsync and rename, so a good
share of the kills land inside a checkpoint write."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

STEPS, EVERY = 24, 4
TINY = ("--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4", "--threads", "1")


@dataclass
class Outcome:
    """One try: the steps logged before the kill, the checkpoint left, what resume did."""

    run_id: str
    logged: int
    saved: int | None
    listed_as: str
    resumed: bool
    identical: bool

    @property
    def inside_write(self) -> bool:
        """Logged a checkpoint step whose save never completed: killed mid-save."""
        return self.logged % EVERY == 0 and (self.saved or 0) < self.logged

    @property
    def lost(self) -> int:
        return self.logged - (self.saved or 0)


def train_child(data: Path, run_id: str, env: dict[str, str]) -> subprocess.Popen:
    args = [sys.executable, "-m", "tofy_core", "train", str(data), "--steps", str(STEPS)]
    args += ["--checkpoint-every", str(EVERY), "--log-every", "1", "--eval-every", "1000"]
    args += [*TINY, "--run-id", run_id]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.Popen(
        args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO
    )


def logged_steps(metrics: Path) -> int:
    """The last step the child logged (raw lines: what it had done, replays included)."""
    last = 0
    try:
        lines = metrics.read_bytes().splitlines()
    except OSError:
        return 0
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "step":
            last = max(last, int(event["step"]))
    return last


def reference(like: str) -> dict:
    """The checkpoint tensors of an uninterrupted run with run `like`'s config, trained in
    this process (no second start-up; the same threads, so the same floats)."""
    from tofy_core.data.split import prepare_data
    from tofy_core.runs import folders as runs
    from tofy_core.train.trainer import Trainer

    config = runs.read_config(runs.open_run(like))
    config.train.phases = []
    trainer = Trainer(runs.create_run(config, "reference"), config, prepare_data(config))
    assert trainer.fit() == "finished", "the uninterrupted run failed"
    return final_tensors("reference")


def final_tensors(run_id: str) -> dict:
    from tofy_core.runs import checkpoint
    from tofy_core.runs import folders as runs

    info = runs.open_run(run_id)
    state = checkpoint.read_state(info.file(runs.STATE_FILE))
    assert state.step == STEPS and state.weights is not None
    return state.weights.tensors


def kill_and_resume(data: Path, run_id: str, rng: random.Random, expected: dict) -> Outcome:
    """Kill a child after a random logged step plus a random pause, check, resume, compare
    with `expected` (filled from this run's config on first use)."""
    from tofy_core import paths
    from tofy_core.cli.train import resume_trainer
    from tofy_core.runs import folders as runs

    metrics = paths.runs_dir() / run_id / runs.METRICS_FILE
    target, extra = rng.randint(1, STEPS), rng.uniform(0.0, 0.25)
    child = train_child(data, run_id, {"TOFY_TEST_WRITE_DELAY": "0.03"})
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        if logged_steps(metrics) >= target:
            break
        time.sleep(0.01)
    time.sleep(extra)
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    child.wait(30)
    logged = logged_steps(metrics)
    info = runs.open_run(run_id)
    saved = runs.checkpoint_step(info)
    outcome = Outcome(run_id, logged, saved, info.shown_status, False, False)
    if saved is None:
        return outcome
    if saved < STEPS:
        trainer = resume_trainer(info)
        if trainer.fit() != "finished":
            return outcome
    outcome.resumed = True
    if not expected:
        expected.update(reference(run_id))
    tensors = final_tensors(run_id)
    outcome.identical = tensors.keys() == expected.keys() and all(
        bool((tensors[k] == expected[k]).all()) for k in expected
    )
    return outcome


def table(outcomes: list[Outcome]) -> str:
    with_checkpoint = [o for o in outcomes if o.saved is not None]
    rows = [
        ("SIGKILL tries", len(outcomes)),
        ("listed (not damaged, no traceback)", sum(o.listed_as != "damaged" for o in outcomes)),
        ("killed inside a checkpoint write", sum(o.inside_write for o in outcomes)),
        ("with a complete checkpoint", len(with_checkpoint)),
        ("resumed", sum(o.resumed for o in with_checkpoint)),
        ("ended bit-identical to the uninterrupted run", sum(o.identical for o in outcomes)),
        (
            f"most steps lost (checkpoint every {EVERY})",
            max((o.lost for o in outcomes), default=0),
        ),
    ]
    return "\n".join(f"{label:<48} {value}" for label, value in rows)


PHRASES = [
    "so how have you been lately?", "we went to the park on sunday.",
    "she likes to read books at night.", "the weather is nice today.",
    "do you want to get coffee later?", "i am going to the store now.",
    "my brother plays guitar every day.", "what did you eat for dinner?",
    "we watched a movie last night.", "the dog is sleeping on the couch.",
    "can you call me tomorrow morning?", "i think it will rain later.",
]  # fmt: skip


def write_corpus(path: Path) -> Path:
    path.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    return path


def run_tries(tries: int, seed: int, folder: Path) -> list[Outcome]:
    """`tries` killed-and-resumed runs under TOFY_HOME=`folder`/home."""
    os.environ["TOFY_HOME"] = str(folder / "home")
    data = write_corpus(folder / "corpus.txt")
    expected: dict = {}
    rng = random.Random(seed)
    return [kill_and_resume(data, f"kill-{i}", rng, expected) for i in range(tries)]


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=15, help="how many children to kill")
    parser.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcomes = run_tries(args.tries, args.seed, Path(folder))
    for o in outcomes:
        print(
            f"{o.run_id:<8} logged {o.logged:>2}  checkpoint {o.saved}  lost {o.lost}  "
            f"listed {o.listed_as}  resumed {o.resumed}  identical {o.identical}"
        )
    print(table(outcomes))


if __name__ == "__main__":
    main()
