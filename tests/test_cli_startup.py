"""The commands that neither train nor load a model answer without importing torch (about two
seconds of start-up, most of `tofy --help`'s time before): help, the version, a mistake in the
arguments, and reading runs (`runs`, `metrics`, `cache`). `show` loads the weights on purpose:
it says whether they make a model."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO
from models_runs import copy_runs, train_session_runs

PROBE = """
import sys
from tofy_core.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("torch" in sys.modules, code, file=sys.stderr)
"""

WITHOUT_TORCH = {
    "help": ["--help"],
    "version": ["--version"],
    "train help": ["train", "--help"],
    "a bad number": ["train", "--steps", "abc"],
    "runs": ["runs"],
    "metrics": ["metrics", "alpha", "beta", "--wide"],
    "cache": ["cache"],
}


@pytest.fixture
def home(tmp_path_factory):
    return copy_runs(train_session_runs(tmp_path_factory))


@pytest.mark.parametrize("case", list(WITHOUT_TORCH))
def test_commands_that_do_not_train_never_import_torch(home, case):
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the test's TOFY_HOME, holding two runs
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *WITHOUT_TORCH[case]],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    imported, code = done.stderr.strip().splitlines()[-1].split()
    assert imported == "False", f"{case}: torch was imported\n{done.stderr}"
    assert code in ("0", "None") or case == "a bad number", done.stderr
