"""The engine's run summaries and run actions, and their commands: a damaged run is listed
with its reason; rename refuses empty names and clashes; export then import gives a run that
answers diff queries exactly as the original does and can be trained further."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import run_cli
from models_runs import copy_runs, damage, train_session_runs
from safetensors.torch import load_file, save_file

from tofy_core.errors import CheckpointError, TofyError
from tofy_core.probe.prober import Prober
from tofy_core.runs import folders as runs
from tofy_core.runs import ops as run_ops
from tofy_core.runs.metrics import matches, metric_names, read_metrics
from tofy_core.runs.summary import list_summaries

QUERY = "how have you _ lately? => been"


@pytest.fixture
def two_runs(tmp_path_factory):
    return copy_runs(train_session_runs(tmp_path_factory))


def test_summaries_carry_what_the_list_shows(two_runs):
    found = {s.name: s for s in list_summaries()}
    alpha = found["alpha"]
    assert alpha.status == "finished" and alpha.step == 30 and alpha.steps == 30
    assert (alpha.dim, alpha.layers, alpha.heads) == (16, 1, 2)
    assert alpha.parameters and alpha.parameters > 0
    assert alpha.loss is not None and alpha.best_top10 is not None
    assert alpha.size == sum(alpha.files.values()) and "model.safetensors" in alpha.files
    metrics = read_metrics(alpha.path)
    assert metrics["loss"].steps == [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    assert "eval/top10" in metrics and "lr" in metrics
    assert metric_names([metrics], "eval/*")[0] == "eval/top10"
    assert matches("eval/top1", "TOP") and not matches("loss", "eval/*")


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("truncated weights", "truncated"),
        ("random weights", "model.safetensors"),
        ("torn run.json", "run.json"),
        ("short vocab", "vocab"),
        ("missing vocab", "vocab.txt is missing"),
        ("bad config", "config.json"),
    ],
)
def test_a_damaged_run_is_listed_with_its_reason(two_runs, how, reason):
    damage(two_runs / "alpha", how)
    found = {s.run_id: s for s in list_summaries()}
    assert found["alpha"].status == "damaged"
    assert reason in found["alpha"].reason
    assert found["beta"].status == "finished"  # the others still listed, unharmed
    listed = run_cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    statuses = {r["id"]: r["status"] for r in json.loads(listed.stdout)}
    assert statuses == {"alpha": "damaged", "beta": "finished"}


def test_runs_table_names_the_damage(two_runs):
    damage(two_runs / "beta", "missing vocab")
    listed = run_cli("runs")
    assert listed.returncode == 0 and "alpha" in listed.stdout
    assert "damaged beta: vocab.txt is missing" in listed.stderr


def test_rename_refuses_empty_names_and_clashes(two_runs):
    with pytest.raises(TofyError, match="empty"):
        run_ops.rename_run("alpha", "   ")
    with pytest.raises(TofyError, match="already called 'beta'"):
        run_ops.rename_run("alpha", "beta")
    clash = run_cli("rename", "alpha", "beta")
    assert clash.returncode == 2 and "already called" in clash.stderr
    done = run_cli("rename", "alpha", "best [bold]so far")
    assert done.returncode == 0, done.stderr
    assert runs.open_run("alpha").name == "best [bold]so far"
    assert runs.open_run("best [bold]so far").run_id == "alpha"


def test_export_then_import_answers_as_the_original(two_runs, tmp_path):
    out = tmp_path / "release"
    done = run_cli("export", "alpha", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "model_latent.safetensors",
        "vocab_latent.txt",
    ]
    again = run_cli("export", "alpha", str(out))  # no terminal to ask: refused, files kept
    assert again.returncode == 2 and "--force" in again.stderr
    info = run_ops.import_checkpoint(
        out / "model_latent.safetensors", out / "vocab_latent.txt", name="imported"
    )
    original, copy = Prober.load("alpha"), Prober.load(info.run_id)
    a, b = original.query_all(QUERY)[0], copy.query_all(QUERY)[0]
    assert (a.answer, a.rank, a.words) == (b.answer, b.rank, b.words)
    assert a.cosine == pytest.approx(b.cosine, abs=1e-6)
    resumed = run_cli("resume", info.run_id, "--steps", "35", OMP_NUM_THREADS="1")
    assert resumed.returncode == 0, resumed.stderr
    assert runs.open_run(info.run_id).step == 35


def test_import_of_a_seed_file_asks_for_heads_and_names_a_misfit(two_runs, tmp_path):
    tensors = load_file(two_runs / "alpha" / "model.safetensors")
    seed = {k: v for k, v in tensors.items() if not k.startswith("teacher.")}
    save_file(seed, tmp_path / "seed.safetensors")  # no metadata: the seed's own form
    vocab = two_runs / "alpha" / "vocab.txt"
    with pytest.raises(run_ops.HeadsNeededError, match="heads"):
        run_ops.import_checkpoint(tmp_path / "seed.safetensors", vocab)
    cli = run_cli("import", str(tmp_path / "seed.safetensors"), str(vocab))
    assert cli.returncode == 2 and "--heads" in cli.stderr
    info = run_ops.import_checkpoint(tmp_path / "seed.safetensors", vocab, heads=2)
    assert runs.read_config(info).model.heads == 2
    seed["encoder.block_0.ff1.weight"] = torch.zeros(3, 16)
    save_file(seed, tmp_path / "misfit.safetensors")
    with pytest.raises(CheckpointError, match="ff1"):
        run_ops.import_checkpoint(tmp_path / "misfit.safetensors", vocab, heads=2)
    assert len(list_summaries()) == 3  # the misfit made no run


def test_new_commands_have_help():
    for command in ("rename", "export", "import"):
        shown = run_cli(command, "--help")
        assert shown.returncode == 0 and "usage: tofy " + command in shown.stdout
