"""SIGKILL a training child at moments its own writes name, then check what a user is left
with: the run lists (not damaged), no file under a run file's name is torn, run.json, the
state and the model agree, and `tofy resume` continues from the last complete checkpoint and
ends bit-identical to an uninterrupted run, its leftovers cleaned; killed before the first
checkpoint, resume says plainly there is no saved state.

    python benchmarks/sigkill.py                 # every kill point, a table
    python benchmarks/sigkill.py --rounds 3      # each kill point three times

The kills are triggered by fsutil's test hook (`TOFY_TEST_PAUSE_IN_WRITE`): the child pauses
inside the chosen write (the temporary file whole, not renamed) or right after it, and marks
the pause with a file; the harness lets the earlier writes of that file go on and kills the
child while it waits at the chosen one, so every kill lands exactly where its case says.
tests/test_faults.py runs four of them: one per kind of moment (`CI_POINTS`)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

STEPS, EVERY = 12, 4
TINY = ("--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4", "--threads", "1")


@dataclass(frozen=True)
class KillPoint:
    """Kill at the `nth` pause of `file` in `phase` (`written`: inside the write, its
    temporary file whole and not renamed; `renamed`: right after it, before the next write).
    `saved`/`model`: the steps the state and the model file must hold after the kill."""

    label: str
    file: str
    phase: str
    nth: int
    saved: int | None
    model: int | None


# A run of 12 steps writes, in order: run.json (its folder, then the device), vocab.txt, and
# at steps 4, 8 and 12 state.safetensors, model.safetensors, run.json (the checkpoint step).
KILL_POINTS = (
    KillPoint("before the first checkpoint", "vocab.txt", "renamed", 1, None, None),
    KillPoint("inside the first state write", "state.safetensors", "written", 1, None, None),
    KillPoint("between checkpoints (after step 4's)", "run.json", "renamed", 3, 4, 4),
    KillPoint("inside a state write (step 8)", "state.safetensors", "written", 2, 4, 4),
    KillPoint("between the state and the model write", "state.safetensors", "renamed", 2, 8, 4),
    KillPoint("inside a model write (step 8)", "model.safetensors", "written", 2, 8, 4),
    KillPoint("inside run.json's write (step 8)", "run.json", "written", 4, 8, 8),
)


# One of each kind, for CI: before the first checkpoint (inside its state write), between
# two checkpoints, between a checkpoint's state and model write, inside a model write.
CI_POINTS = tuple(KILL_POINTS[i] for i in (1, 2, 4, 5))


@dataclass
class Outcome:
    """One kill: where it landed and what the files and resume did; `problems` is empty
    when every check held."""

    point: KillPoint
    run_id: str
    killed_at: str = ""
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


def train_child(data: Path, run_id: str, point: KillPoint, markers: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "tofy_core", "train", str(data), "--steps", str(STEPS)]
    args += ["--checkpoint-every", str(EVERY), "--log-every", "1", "--eval-every", "1000"]
    args += [*TINY, "--run-id", run_id]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TOFY_TEST_PAUSE_IN_WRITE": point.file,
        "TOFY_TEST_PAUSE_MARKERS": str(markers),
    }
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
    )


def kill_at_points(data: Path, points: list[tuple[str, KillPoint]], work: Path) -> list[Outcome]:
    """Start one child per kill point (all at once: most of each is starting Python), let
    each one's writes go on until its chosen pause, and SIGKILL it there."""
    children = {}
    for run_id, point in points:
        markers = work / f"markers-{run_id}"
        markers.mkdir()
        children[run_id] = (point, markers, train_child(data, run_id, point, markers), [0])
    outcomes = {run_id: Outcome(point, run_id) for run_id, point in points}
    deadline = time.monotonic() + 300
    while children and time.monotonic() < deadline:
        for run_id, (point, markers, child, seen) in list(children.items()):
            for marker in sorted(markers.iterdir()):
                if not marker.name.endswith(f".{point.phase}"):
                    marker.unlink()  # the other phase: go on
                    continue
                seen[0] += 1
                if seen[0] < point.nth:
                    marker.unlink()  # an earlier write of this file: go on
                    continue
                alive = child.poll() is None
                child.send_signal(signal.SIGKILL)
                child.wait(30)
                outcomes[run_id].killed_at = marker.name
                outcomes[run_id].check(alive, "the child had ended before the kill")
                del children[run_id]
                break
            else:
                if child.poll() is not None:
                    err = child.stderr.read().decode()[-300:] if child.stderr else ""
                    outcomes[run_id].check(False, f"the child ended without the pause: {err}")
                    del children[run_id]
        time.sleep(0.005)
    for run_id, (_, _, child, _) in children.items():
        child.kill()
        child.wait(30)
        outcomes[run_id].check(False, "the chosen pause never came")
    return [outcomes[run_id] for run_id, _ in points]


def check_after_kill(outcome: Outcome) -> None:
    """What the kill left: listed as interrupted, no torn run file, the steps its point says."""
    from tofy_core import paths
    from tofy_core.runs import folders as runs
    from tofy_core.runs.summary import summarize

    point, check = outcome.point, outcome.check
    folder = paths.runs_dir() / outcome.run_id
    summary = summarize(folder)
    check(summary.status == "interrupted", f"listed {summary.status} ({summary.reason})")
    info = runs.read_info(folder)  # whole JSON, every field of its type, or it raises
    runs.read_config(info)
    saved = runs.checkpoint_step(info)
    model = runs.checkpoint_step(info, runs.MODEL_FILE)
    expected = ((runs.STATE_FILE, saved, point.saved), (runs.MODEL_FILE, model, point.model))
    for name, step, want in expected:
        check(step == want, f"{name} holds step {step}, expected {want}")
        if step is None:
            check(not info.file(name).exists(), f"{name} is there but torn")
    check(info.step <= (saved or 0), f"run.json says step {info.step}, the state {saved}")
    leftovers = sorted(p.name for p in folder.glob(".*.tmp"))
    if point.phase == "written":  # the kill landed inside the write: its temporary file is there
        check(any(point.file in name for name in leftovers), f"no temporary {point.file}")
    else:
        check(not leftovers, f"leftovers after a kill between writes: {leftovers}")


def resume_and_compare(outcome: Outcome, expected: dict) -> None:
    """`tofy resume`: plainly refused without a saved state; else it finishes, leftovers
    cleaned, every file at the last step, each step logged once, the tensors identical to
    the uninterrupted run's (`expected`, made from this run's config on first use)."""
    from tofy_core import paths
    from tofy_core.cli import main
    from tofy_core.runs import folders as runs
    from tofy_core.runs.events import read_events

    check = outcome.check
    folder = paths.runs_dir() / outcome.run_id
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["resume", outcome.run_id])  # `tofy resume RUN`, in this process
    if outcome.point.saved is None:
        check(code == 2 and "no saved state" in err.getvalue(), f"resume: {err.getvalue()!r}")
        return
    check(code == 0, f"resume exited {code}: {err.getvalue()[-300:]!r}")
    info = runs.read_info(folder)
    steps = (info.step, runs.checkpoint_step(info), runs.checkpoint_step(info, runs.MODEL_FILE))
    check(steps == (STEPS,) * 3, f"run.json, state and model at steps {steps}")
    check(info.status == "finished", f"run.json says {info.status}")
    check(not list(folder.glob(".*.tmp")), "the killed write's leftovers are still there")
    logged = [e["step"] for e in read_events(folder / runs.METRICS_FILE) if e["event"] == "step"]
    check(logged == list(range(1, STEPS + 1)), f"steps logged {logged}")
    if not expected:
        expected.update(reference(outcome.run_id))
    tensors = final_tensors(outcome.run_id)
    same = tensors.keys() == expected.keys() and all(
        bool((tensors[k] == expected[k]).all()) for k in expected
    )
    check(same, "the resumed run is not bit-identical to the uninterrupted one")


def reference(like: str) -> dict:
    """The checkpoint tensors of an uninterrupted run with run `like`'s config, trained in
    this process (the same threads as the resumes, so the same floats)."""
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


def run_points(
    work: Path, rounds: int = 1, chosen: tuple[KillPoint, ...] = KILL_POINTS
) -> list[Outcome]:
    """Each `chosen` kill point `rounds` times under TOFY_HOME=`work`/home, each checked."""
    os.environ["TOFY_HOME"] = str(work / "home")
    data = write_corpus(work / "corpus.txt")
    points = [(f"kill-{r}-{i}", p) for r in range(rounds) for i, p in enumerate(chosen)]
    outcomes = kill_at_points(data, points, work)
    expected: dict = {}
    for outcome in outcomes:
        if outcome.killed_at:
            check_after_kill(outcome)
            resume_and_compare(outcome, expected)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="how often to kill at each point")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcomes = run_points(Path(folder), args.rounds)
    for o in outcomes:
        verdict = "ok" if not o.problems else "; ".join(o.problems)
        print(f"{o.point.label:<42} killed at {o.killed_at or '-':<30} {verdict}")
    failed = sum(bool(o.problems) for o in outcomes)
    print(f"{len(outcomes)} kills, {failed} with a problem")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
