"""Fault probe, run by hand: bad files, bad inputs and bad environments thrown at the CLI.
Every case states what must happen: the exit status, the words that name the problem, and
what is left on disk; a case passes only when all three hold.

    python benchmarks/faults.py              # every case; exits 1 if any fails
    python benchmarks/faults.py --fast       # the subset tests/test_faults.py runs in CI
    python benchmarks/faults.py --verbose    # print every case
    python benchmarks/sigkill.py             # the SIGKILL half

Cases run in this process through `tofy_core.cli.main` (an uncaught exception is a
traceback), or in a child process where only a real process shows the fault (a FIFO that
could hang, stdin's real decoding), under a throwaway TOFY_HOME. The cases are in
fault_cases.py and fault_files.py."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

TINY = ["--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4", "--steps", "6"]
PHRASES = "\n".join(
    f"{w} went to the {p} on {d}."
    for w in ("we", "they", "she", "he")
    for p in ("park", "store", "beach")
    for d in ("sunday", "monday")
)
ERROR = 2  # a user's error: one line on stderr (tofy_core.errors.EXIT_USER_ERROR)


@dataclass
class Result:
    """Exit status (None: an exception escaped), stdout, stderr (the traceback if one did)."""

    code: int | None
    out: str
    err: str


# What the disk must look like after a case: "" when it does, else what is wrong.
Then = Callable[[Result], str]


def cli(*argv: str, stdin: str = "") -> Result:
    """One command in this process, as `tofy ARGV` runs it."""
    from tofy_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else ERROR
    except BaseException:
        return Result(None, out.getvalue(), traceback.format_exc())
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


def process(*argv: str, stdin: bytes = b"", cwd: Path | None = None) -> Result:
    """One command in a child process (30 s at most: a hang is a wrong result, not a stall)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tofy_core", *argv],
            input=stdin,
            capture_output=True,
            env=env,
            cwd=cwd or REPO,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        return Result(-1, "", "hung: no answer in 30 s")
    err = done.stderr.decode(errors="replace")
    code = None if "Traceback (most recent call last)" in err else done.returncode
    return Result(code, done.stdout.decode(errors="replace"), err)


class Probe:
    """Runs cases and counts their outcomes: good, traceback, wrong."""

    def __init__(self, verbose: bool = False, fast: bool = False) -> None:
        self.verbose, self.fast = verbose, fast
        self.counts: Counter[str] = Counter()
        self.bad: list[str] = []

    def case(
        self,
        name: str,
        *argv: str,
        code: int | tuple[int, ...] = ERROR,
        says: str = "",
        then: Then | None = None,
        fast: bool = False,
        run: Callable[..., Result] = cli,
        **options,
    ) -> None:
        """Run `tofy ARGV` (with `run`); it must exit `code` (or one of them; an error in one
        line), its output must match the regex `says` (stderr for an error, else both),
        and `then` must find the disk as it should be."""
        if self.fast and not fast:
            return
        result = run(*argv, **options)
        if result.code is None:
            return self.record(name, "traceback", result.err.strip().splitlines()[-1:])
        problems = []
        codes = code if isinstance(code, tuple) else (code,)
        text = result.err if result.code != 0 else result.out + result.err
        if result.code not in codes:
            problems.append(f"exit {result.code}, expected {' or '.join(map(str, codes))}")
        elif result.code != 0 and result.err.strip().count("\n") > 1:
            problems.append("more than one line on stderr")
        if says and not re.search(says, text, re.IGNORECASE | re.DOTALL):
            problems.append(f"does not say /{says}/")
        if then is not None:
            try:
                problem = then(result)
            except Exception as exc:  # the disk is not even in a state to check
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                problems.append(problem)
        if problems:
            shown = (result.err or result.out).strip().replace("\n", " | ")[-240:]
            return self.record(name, "wrong", [f"{'; '.join(problems)} <- {shown}"])
        self.record(name, "good")

    def record(self, name: str, outcome: str, detail: list[str] | None = None) -> None:
        self.counts[outcome] += 1
        if outcome != "good":
            self.bad.append(f"{outcome:<9} {name}: {' '.join(detail or [])}")
        if self.verbose:
            print(f"{outcome:<10} {name}", flush=True)

    @property
    def failed(self) -> int:
        return self.counts["traceback"] + self.counts["wrong"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry of a folder (hidden ones included) and a hash of what it holds."""
    found = {}
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"-> {os.readlink(path)}"
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(folder))] = digest
    return found


def unchanged(folder: Path) -> Then:
    """`then`: the folder is exactly as it was before the command (a refusal writes nothing)."""
    before = snapshot(folder)

    def check(_: Result) -> str:
        after = snapshot(folder)
        if after == before:
            return ""
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        return f"{folder.name} changed: {', '.join(changed[:4])}"

    return check


def empty_or_absent(folder: Path) -> Then:
    def check(_: Result) -> str:
        left = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        return f"{folder} holds {left}" if left else ""

    return check


def both(*checks: Then) -> Then:
    def check(result: Result) -> str:
        return "; ".join(p for p in (c(result) for c in checks) if p)

    return check


def main(argv: list[str] | None = None) -> int:
    import fault_cases

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every case")
    parser.add_argument("--fast", action="store_true", help="only the subset CI runs")
    args = parser.parse_args(argv)
    probe = Probe(args.verbose, args.fast)
    old_home = os.environ.get("TOFY_HOME")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["TOFY_HOME"] = str(work / "home")
        try:
            fault_cases.run_all(probe, work)
        finally:
            if old_home is None:
                os.environ.pop("TOFY_HOME", None)
            else:
                os.environ["TOFY_HOME"] = old_home
    print(f"cases tried  {sum(probe.counts.values())}")
    for outcome in ("good", "traceback", "wrong"):
        print(f"{outcome:<12} {probe.counts[outcome]}")
    for line in probe.bad:
        print("  " + line)
    return 1 if probe.failed else 0


if __name__ == "__main__":
    sys.exit(main())
