"""The benchmarks measure what they say: the throughput reference trains with Tofy's own
optimizer and real tokens are counted alike on both sides; quality reads any corpus and scores
all three methods on one split; latency reads a real terminal until the Train form takes keys.

They run the benchmarks' own functions at tiny sizes: no figure is asserted, only that each
measurement measures the right thing."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import pytest
from conftest import TINY_PHRASES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TINY_SIZE = dict(dim=16, layers=1, heads=2, max_seq=16, batch=4, max_vocab=200)


def bench(name: str):
    """A benchmark script as a module (they import their helpers as `common`)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


# --- throughput ---------------------------------------------------------------------------


def test_the_reference_trains_with_the_optimizer_tofy_builds(tiny_corpus):
    pytest.importorskip("transformers")
    throughput = bench("throughput")
    tofy = throughput.TofyContestant(str(tiny_corpus), TINY_SIZE, time.perf_counter)
    reference = throughput.ReferenceContestant(
        tofy.data.train_table, tofy.vocab_size, TINY_SIZE, time.perf_counter
    )
    mine, theirs = reference.optimizer, tofy.trainer.optimizer
    assert mine.defaults["fused"] is True  # torch's CPU default is the per-tensor loop
    for key in ("fused", "foreach", "betas", "lr"):
        assert mine.defaults[key] == theirs.defaults[key], key
    # the default recipe's word prior (no decay, its own rate) is a third group of Tofy's:
    # the reference has no prior; the groups both have are set alike
    prior = [g for g in theirs.param_groups if "lr_scale" in g]
    assert [p for g in prior for p in g["params"]] == [tofy.trainer.model.word_prior]
    assert [g["weight_decay"] for g in mine.param_groups] == [
        g["weight_decay"] for g in theirs.param_groups if "lr_scale" not in g
    ]
    matrices = mine.param_groups[0]["params"]
    assert matrices and all(p.dim() >= 2 for p in matrices)  # no decay on biases and norms


def test_real_tokens_are_the_non_pad_tokens_each_side_read(tiny_corpus):
    pytest.importorskip("transformers")
    throughput = bench("throughput")
    tofy = throughput.TofyContestant(str(tiny_corpus), TINY_SIZE, time.perf_counter)
    reference = throughput.ReferenceContestant(
        tofy.data.train_table, tofy.vocab_size, TINY_SIZE, time.perf_counter
    )
    read: dict[str, list[int]] = {"tofy": [], "reference": []}
    sample = tofy.trainer.sampler.sample
    rows = reference.table.rows

    def tofy_sample(*args, **kwargs):
        batch = sample(*args, **kwargs)
        read["tofy"].append(int((batch.inputs != 0).sum()))
        return batch

    def reference_rows(indices):
        chosen = rows(indices)
        read["reference"].append(int((chosen != 0).sum()))
        return chosen

    tofy.trainer.sampler.sample = tofy_sample
    reference.table = _Counted(tofy.data.train_table, reference_rows)
    mine, theirs = tofy.run(10), reference.run(10)
    assert mine.real_tokens == sum(read["tofy"]) and len(read["tofy"]) == 10
    assert theirs.real_tokens == sum(read["reference"]) and len(read["reference"]) == 10
    # the tiny corpus has phrases of uneven length: padding is counted apart
    assert mine.real_tokens < mine.tokens and theirs.real_tokens < theirs.tokens
    assert mine.real_tokens_per_s < mine.tokens_per_s


class _Counted:
    """A token table whose `rows` goes through a recorder."""

    def __init__(self, table, rows) -> None:
        self._table, self.rows = table, rows

    def __len__(self) -> int:
        return len(self._table)


# --- quality ------------------------------------------------------------------------------


def test_quality_scores_any_corpus_on_a_split_without_repeats(tmp_path, capsys):
    corpus = tmp_path / "repeated.txt"
    corpus.write_text("\n".join(TINY_PHRASES * 3) + "\n", encoding="utf-8")
    bench("quality").main(["--data", str(corpus), "--steps", "2", "--curve", "0"])
    out = capsys.readouterr().out
    assert f"# data: {corpus}: duplicate phrases dropped before the split: 40;" in out
    assert "held-out phrases also in training: 0" in out
    for method in ("unigram frequency", "MLM twin (softmax decoder)", "Tofy (latent)"):
        assert f"| {method}" in out
    assert "2 steps each" in out
    assert "| median rank | frequent top-10 | middle top-10 | rare top-10 |" in out
    assert "recipe tofy:" in out


def test_quality_bands_split_the_training_tokens_by_share_most_frequent_first():
    import torch

    methods = bench("quality_methods")
    counts = torch.tensor([50, 1, 30, 10, 5, 4])  # 100 tokens: 50 | 30+10 | 5+4+1
    bands = methods.word_bands(counts)
    assert bands["frequent"].tolist() == [True, False, False, False, False, False]
    assert bands["middle"].tolist() == [False, False, True, True, False, False]
    assert bands["rare"].tolist() == [False, True, False, False, True, True]
    ranks = torch.tensor([1.0, 20.0, 3.0])
    summary = methods.summarize(ranks, torch.tensor([0, 2, 1]), bands)
    assert summary["median_rank"] == 3 and summary["frequent_top10"] == 1.0
    assert summary["middle_top10"] == 0.0 and summary["rare_top10"] == 1.0


def test_quality_changes_one_field_and_names_a_bad_change(tmp_path, capsys):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("\n".join(TINY_PHRASES) + "\n", encoding="utf-8")
    argv = ["--data", str(corpus), "--steps", "2", "--curve", "0"]
    bench("quality").main([*argv, "--recipe", "seed", "--set", "temperature=0.1"])
    assert "recipe seed with temperature=0.1:" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no_such_field"):
        bench("quality").main([*argv, "--set", "no_such_field=1"])


def test_ablations_train_each_variant_on_one_split(tmp_path, capsys):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("\n".join(TINY_PHRASES) + "\n", encoding="utf-8")
    bench("ablations").main(["--data", str(corpus), "--steps", "2", "--only", "default", "seed"])
    out = capsys.readouterr().out
    names = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| ")]
    assert names == ["variant", "unigram frequency", "default", "seed"]
    assert "- seed: the seed's loss" in out
