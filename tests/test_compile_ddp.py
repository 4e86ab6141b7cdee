"""`--compile` with several training processes is refused: the compiled loss would bypass
DDP's gradient averaging, so each rank would train its own model."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, TINY_MODEL_ARGS

from tofy_tui.form_settings import DEFAULTS, check_form


def test_torchrun_with_compile_is_refused_before_a_run_exists(tofy_home, tiny_corpus):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOFY_HOME": str(tofy_home)}
    env["OMP_NUM_THREADS"] = "1"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    train = ["-m", "tofy_core", "train", str(tiny_corpus), *TINY_MODEL_ARGS, "--steps", "4"]
    done = subprocess.run(
        [*launcher, "--standalone", *train, "--compile", "--run-id", "both"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert lines and "--compile" in lines[0] and "one training process" in lines[0]
    # torchrun reports the failed ranks with its own traceback; none comes from Tofy
    assert not [line for line in done.stderr.splitlines() if "tofy_core" in line and "File" in line]
    assert not (tofy_home / "data" / "runs" / "both").exists()


def test_the_form_refuses_compile_with_several_processes():
    values = {**DEFAULTS, "compile": "on", "processes": "2"}
    checked = check_form(values)
    assert not checked.ok
    assert "one training process" in checked.errors["compile"]
    assert check_form({**DEFAULTS, "compile": "on"}).ok
    assert check_form({**DEFAULTS, "processes": "2"}).ok
