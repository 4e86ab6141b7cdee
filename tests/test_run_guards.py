"""What a command does with a run it should not trust: an empty reference deletes nothing,
export refuses a run whose weights or vocabulary diff would refuse (and never copies a file
from outside the run folder), and a damaged event log marks its own run, never the list."""

from __future__ import annotations

import os

import pytest
import torch
from conftest import run_cli
from models_runs import copy_runs, train_session_runs
from safetensors.torch import load_file, save_file

from tofy_core import paths
from tofy_core.cli import main
from tofy_core.errors import TofyError
from tofy_core.runs import folders as runs
from tofy_core.runs import ops as run_ops
from tofy_core.runs.files import read_safetensors_header
from tofy_core.runs.summary import list_summaries


@pytest.fixture
def two_runs(tmp_path_factory):
    return copy_runs(train_session_runs(tmp_path_factory))


@pytest.mark.parametrize("ref", ["", "  "])
def test_an_empty_reference_deletes_nothing(two_runs, ref):
    runs.delete_run("alpha")  # a home with one run: an empty prefix matches it alone
    result = run_cli("delete", ref, "--yes")
    assert result.returncode == 2, result.stdout
    assert "give a run id" in result.stderr and result.stderr.count("\n") == 1
    assert (paths.runs_dir() / "beta" / "run.json").is_file()
    with pytest.raises(TofyError, match="give a run id"):
        runs.open_run(ref)


def _tensors(path, change):
    tensors = load_file(path)
    metadata = read_safetensors_header(path).get("__metadata__")  # kept: only tensors change
    change(tensors)
    save_file(tensors, path, metadata=metadata)


def _nan(tensors):
    tensors["encoder.embed.weight"][3, 0] = float("nan")


def _q_shape(tensors):
    tensors["encoder.block_0.attn.q_proj.weight"] = torch.zeros(3, 5)


def _embed_1d(tensors):
    tensors["encoder.embed.weight"] = tensors["encoder.embed.weight"][0].clone()


def _outside(tmp_path, folder, name):
    copy = tmp_path / f"outside-{name}"
    copy.write_bytes((folder / name).read_bytes())  # a whole file, elsewhere
    (folder / name).unlink()
    (folder / name).symlink_to(copy)


DAMAGE = {
    "model truncated": lambda f, t: (f / "model.safetensors").write_bytes(
        (f / "model.safetensors").read_bytes()[:300]
    ),
    "model random": lambda f, t: (f / "model.safetensors").write_bytes(os.urandom(300)),
    "model NaN": lambda f, t: _tensors(f / "model.safetensors", _nan),
    "model q_proj shape": lambda f, t: _tensors(f / "model.safetensors", _q_shape),
    "model embed 1-D": lambda f, t: _tensors(f / "model.safetensors", _embed_1d),
    "vocab foreign": lambda f, t: (f / "vocab.txt").write_text("a\nb\n"),
    "vocab binary": lambda f, t: (f / "vocab.txt").write_bytes(b"\xff\xfe\x00"),
    "vocab other words": lambda f, t: (f / "vocab.txt").write_text(
        (f / "vocab.txt").read_text().replace("been", "bean")
    ),
    "model a symlink out": lambda f, t: _outside(t, f, "model.safetensors"),
    "vocab a symlink out": lambda f, t: _outside(t, f, "vocab.txt"),
}
REASON = {
    "model truncated": "model.safetensors",
    "model random": "model.safetensors",
    "model NaN": "NaN",
    "model q_proj shape": "q_proj",
    "model embed 1-D": "encoder.embed.weight",
    "vocab foreign": "vocab",
    "vocab binary": "vocab",
    "vocab other words": "vocab",
    "model a symlink out": "symbolic link",
    "vocab a symlink out": "symbolic link",
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_export_refuses_what_diff_refuses_and_writes_nothing(two_runs, tmp_path, case):
    folder = paths.runs_dir() / "alpha"
    DAMAGE[case](folder, tmp_path)
    out = tmp_path / "export"
    with pytest.raises(TofyError) as refused:
        run_ops.export_run("alpha", out)
    assert REASON[case] in str(refused.value) and "\n" not in str(refused.value)
    assert not out.exists() or not any(out.iterdir())


def test_a_refused_export_is_one_line(two_runs, tmp_path):
    DAMAGE["model NaN"](paths.runs_dir() / "alpha", tmp_path)
    result = run_cli("export", "alpha", str(tmp_path / "export"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "NaN" in result.stderr and not (tmp_path / "export").exists()


def test_export_of_a_whole_run_still_copies_it(two_runs, tmp_path):
    exported = run_ops.export_run("alpha", tmp_path / "out")
    folder = paths.runs_dir() / "alpha"
    assert exported.model.read_bytes() == (folder / "model.safetensors").read_bytes()
    assert exported.vocab.read_bytes() == (folder / "vocab.txt").read_bytes()


@pytest.mark.parametrize("how", ["random bytes", "a symlink to a folder"])
def test_a_damaged_event_log_hides_no_run(two_runs, tmp_path, capsys, how):
    metrics = paths.runs_dir() / "beta" / runs.METRICS_FILE
    if how == "random bytes":
        metrics.write_bytes(os.urandom(2000) + b"\n" + os.urandom(500) + b"\n")
    else:
        metrics.unlink()
        (tmp_path / "folder").mkdir()
        metrics.symlink_to(tmp_path / "folder", target_is_directory=True)
    listed = {s.run_id: s for s in list_summaries()}
    assert listed["alpha"].status == "finished" and listed["alpha"].best_top10 is not None
    assert "beta" in listed
    if how != "random bytes":
        assert listed["beta"].status == "damaged" and "metrics.jsonl" in listed["beta"].reason
    assert main(["runs"]) == 0
    listing = capsys.readouterr()
    assert "alpha" in listing.out and "beta" in listing.out
    assert main(["show", "beta"]) == 0
    shown = capsys.readouterr()
    assert "not UTF-8" not in shown.err
    if how != "random bytes":
        assert "metrics.jsonl" in shown.out


@pytest.mark.parametrize("name", ["model.safetensors", "vocab.txt", "state.safetensors"])
def test_diff_and_resume_refuse_a_run_file_that_is_a_symlink(two_runs, tmp_path, name):
    """A run's files are its own: a link inside the folder could name any file of the user's,
    so diff and resume refuse it in one line, as export does, and change nothing."""
    from tofy_core.probe.prober import Prober

    folder = paths.runs_dir() / "alpha"
    _outside(tmp_path, folder, name)
    before = (folder / "run.json").read_bytes()
    if name != "state.safetensors":
        with pytest.raises(TofyError, match="symbolic link"):
            Prober.load("alpha")
    result = run_cli("resume", "alpha", "--steps", "2")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "symbolic link" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert (folder / "run.json").read_bytes() == before and (folder / name).is_symlink()
