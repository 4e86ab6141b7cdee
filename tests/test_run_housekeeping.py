"""A run folder's housekeeping: creation failures say why, killed staging folders are
cleaned, logs follow their run, same-second runs list in one order, an imported run can be
given its real data, and an export is readable like any file the user writes."""

from __future__ import annotations

import errno
import os
import sys
from datetime import datetime

import pytest
from conftest import run_cli

from tofy_core import paths
from tofy_core.cli.train import resume_trainer
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.errors import TofyError
from tofy_core.runs import folders as runs
from tofy_core.runs import ops as run_ops
from tofy_core.train.trainer import Trainer
from tofy_tui.training import Launcher


def tiny_config(data: str = "", steps: int = 2) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    return RunConfig(model, TrainConfig(data=data, steps=steps, batch=4, threads=1)).validate()


def test_a_folder_that_cannot_be_made_says_why_not_that_it_exists(monkeypatch):
    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "rename", read_only)
    with pytest.raises(TofyError) as caught:
        runs.create_run(tiny_config(), "blocked")
    assert "Read-only file system" in str(caught.value)
    assert "already exists" not in str(caught.value)


def test_a_staging_folder_a_killed_process_left_is_removed(tmp_path):
    home = paths.runs_dir()
    dead = os.fork()
    if dead == 0:  # a process that dies at once: its pid is then nobody's
        os._exit(0)
    os.waitpid(dead, 0)
    stale = home / ".20260101-000000-ab12.x1y2z3.new"
    stale.mkdir()
    (stale / "run.json").write_text(f'{{"status": "running", "pid": {dead}}}', encoding="utf-8")
    live = home / ".20260101-000001-cd34.a1b2c3.new"  # another process creating a run now
    live.mkdir()
    (live / "run.json").write_text(f'{{"status": "running", "pid": {os.getpid()}}}', "utf-8")
    runs.create_run(tiny_config(), "fresh")
    assert not stale.exists()
    assert live.exists()


def test_logs_are_kept_across_resumes_and_deleted_with_their_run(tiny_corpus):
    launcher = Launcher()
    for n in (1, 2, 3):  # a first session, then two resumes
        command = [sys.executable, "-c", f"print('session {n}')"]
        launcher.start(command, "logged", resuming=n > 1).process.wait(timeout=30)
        if n == 1:  # the session made its run
            info = runs.create_run(tiny_config(str(tiny_corpus)), "logged")
            info.status, info.pid = "failed", None
            runs.write_info(info)
    logs = paths.data_dir() / "logs"
    assert "session 1" in (logs / "logged.log").read_text(encoding="utf-8")
    resumed = (logs / "logged.resume.log").read_text(encoding="utf-8")
    assert "session 2" in resumed and "session 3" in resumed
    assert run_cli("delete", "logged", "--yes").returncode == 0
    assert not list(logs.glob("logged*"))


def test_runs_made_in_the_same_second_list_newest_first(monkeypatch):
    class SameSecond(datetime):
        ticks = 0

        @classmethod
        def now(cls, tz=None):
            cls.ticks += 1  # the same second, a moment later each time
            return datetime(2026, 1, 1, 0, 0, 0, cls.ticks, tzinfo=tz)

    monkeypatch.setattr(runs, "datetime", SameSecond)
    made = [runs.create_run(tiny_config(), run_id).run_id for run_id in ("b-1", "a-2", "c-3")]
    assert [r.run_id for r in runs.list_runs()] == made[::-1]


def test_an_imported_run_resumed_on_the_default_corpus_can_take_its_real_data(tiny_corpus):
    config = tiny_config(str(tiny_corpus), steps=2)
    trainer = Trainer(runs.create_run(config, "source"), config, prepare_data(config))
    assert trainer.fit() == "finished"
    source = runs.open_run("source")
    out = run_ops.export_run("source", tiny_corpus.parent / "out")
    imported = run_ops.import_checkpoint(out.model, out.vocab, name="brought in")
    again = resume_trainer(runs.open_run(imported.run_id), steps=3)  # the default corpus
    assert again.fit() == "finished"
    real = resume_trainer(runs.open_run(imported.run_id), steps=4, data=str(tiny_corpus))
    assert real.fit() == "finished"
    assert runs.read_config(runs.open_run(imported.run_id)).train.data == str(tiny_corpus)
    assert source.status == "finished"


def test_exported_files_have_the_users_usual_mode(tiny_corpus, tmp_path):
    config = tiny_config(str(tiny_corpus))
    Trainer(runs.create_run(config, "shared"), config, prepare_data(config)).fit()
    previous = os.umask(0o022)
    try:
        out = run_ops.export_run("shared", tmp_path / "release")
    finally:
        os.umask(previous)
    for file in (out.model, out.vocab):
        assert file.stat().st_mode & 0o777 == 0o644
