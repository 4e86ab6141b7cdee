"""The trainer: it learns, it saves what resume needs, it resumes exactly, it fails safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.masking import TokenTable, eval_batches, mask_batch
from tofy_core.data.split import prepare_data
from tofy_core.data.vocab import Vocab
from tofy_core.errors import CheckpointError, ConfigError
from tofy_core.model.encoder import explicit_attention
from tofy_core.model.latent import LatentModel, export_tensors, word_softmax_loss
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.schedule import get_lr, get_momentum
from tofy_core.train.trainer import Trainer


def make_config(data: Path | str = "", **train) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_vocab=500)
    defaults = dict(steps=30, batch=4, log_every=5, eval_every=10, checkpoint_every=100)
    return RunConfig(model, TrainConfig(data=str(data), **{**defaults, **train})).validate()


def start(config: RunConfig, run_id: str | None = None) -> Trainer:
    data = prepare_data(config)
    return Trainer(runs.create_run(config, run_id), config, data)


def test_a_tiny_model_overfits_a_20_line_corpus(tiny_corpus):
    config = RunConfig(
        ModelConfig(dim=32, layers=2, heads=2),
        TrainConfig(
            data=str(tiny_corpus),
            steps=300,
            batch=16,
            lr=3e-3,
            log_every=50,
            eval_every=1000,
            checkpoint_every=1000,
            holdout=0.2,
        ),
    ).validate()
    trainer = start(config)
    seen = eval_batches(trainer.data.train_table, len(trainer.data.vocab), 64)
    before = trainer.evaluate(seen)
    held_before = trainer.evaluate()
    assert trainer.fit() == "finished"
    losses = [
        e["loss"] for e in read_events(trainer.run.file(runs.METRICS_FILE)) if e["event"] == "step"
    ]
    after = trainer.evaluate(seen)
    held_after = trainer.evaluate()
    assert losses[-1] < losses[0] / 2, losses  # stated factor: the loss at least halves
    assert before["top10"] < 0.3 and after["top10"] > 0.6, (before, after)
    assert held_after["mean_rank"] < held_before["mean_rank"]


def test_checkpoint_uses_seed_names_and_metadata(tiny_corpus):
    trainer = start(make_config(tiny_corpus, steps=12))
    assert trainer.fit() == "finished"
    path = trainer.run.file(runs.MODEL_FILE)
    with safe_open(str(path), "pt") as handle:
        names = set(handle.keys())
        metadata = handle.metadata()
    assert {
        "encoder.embed.weight",
        "encoder.block_0.attn.q_proj.weight",
        "encoder.block_0.attn.v_proj.bias",
        "encoder.block_0.attn.out_proj.weight",
        "encoder.block_0.ln1.weight",
        "encoder.block_0.ff2.bias",
        "encoder.ln_final.weight",
        "predictor.fc1.weight",
        "teacher.embed.weight",
    } <= names
    assert metadata["format"] == "tofy-latent" and metadata["step"] == "12"
    saved = json.loads(metadata["config"])
    assert saved["dim"] == 16 and saved["vocab_size"] == len(trainer.data.vocab)
    weights = checkpoint.load_weights(path)
    model = checkpoint.build_model(weights, weights.config)
    original = export_tensors(trainer.model)
    for name, tensor in export_tensors(model).items():
        assert torch.equal(tensor, original[name]), name


def test_a_seed_file_without_metadata_or_teacher_loads(tmp_path):
    config = ModelConfig(dim=16, layers=2, heads=4, max_vocab=50)
    config.vocab_size = 50
    model = LatentModel(config)
    tensors = {k: v for k, v in export_tensors(model).items() if not k.startswith("teacher")}
    from safetensors.torch import save_file

    save_file(tensors, str(tmp_path / "seed.safetensors"))
    weights = checkpoint.load_weights(tmp_path / "seed.safetensors")
    assert weights.is_seed_file
    inferred = checkpoint.infer_seed_config(weights.tensors, heads=4)
    assert (inferred.dim, inferred.layers, inferred.vocab_size) == (16, 2, 50)
    loaded = checkpoint.build_model(weights, inferred)
    assert torch.equal(loaded.teacher_embed, model.encoder.embed.weight.detach())


def test_stop_then_resume_matches_an_uninterrupted_run(tiny_corpus):
    full = start(make_config(tiny_corpus, steps=40), "full")
    assert full.fit() == "finished"

    part = start(make_config(tiny_corpus, steps=40), "part")
    make_batch, calls = part.make_batch, []

    def stop_after_17():
        calls.append(1)
        if len(calls) == 17:
            part.request_stop()
        return make_batch()

    part.make_batch = stop_after_17
    assert part.fit() == "stopped" and part.step == 17
    info = runs.open_run("part")
    assert info.status == "stopped" and info.step == 17

    config = runs.read_config(info)
    data = prepare_data(config, vocab=Vocab.load(info.file(runs.VOCAB_FILE)))
    resumed = Trainer(info, config, data)
    resumed.resume_from_files()
    assert resumed.step == 17
    assert resumed.fit() == "finished"
    expected, got = export_tensors(full.model), export_tensors(resumed.model)
    for name in expected:
        assert torch.equal(expected[name], got[name]), name
    steps = [e["step"] for e in read_events(info.file(runs.METRICS_FILE)) if e["event"] == "step"]
    assert steps == sorted(steps) and steps[-1] == 40  # the loss curve continues


def test_resume_refuses_a_changed_model_size(tiny_corpus):
    trainer = start(make_config(tiny_corpus, steps=6), "sized")
    trainer.fit()
    config = runs.read_config(trainer.run)
    config.model.dim = 32
    data = prepare_data(config, vocab=Vocab.load(trainer.run.file(runs.VOCAB_FILE)))
    with pytest.raises(CheckpointError, match="cannot change on resume"):
        Trainer(trainer.run, config, data).resume_from_files()


def test_nan_loss_fails_the_run_and_keeps_the_last_good_checkpoint(tiny_corpus):
    trainer = start(make_config(tiny_corpus, steps=40, checkpoint_every=10, log_every=5))
    forward = trainer.forward_loss

    def poisoned(batch):
        parts = forward(batch)
        if trainer.step >= 13:
            parts.total = parts.total * float("nan")
        return parts

    trainer.forward_loss = poisoned
    assert trainer.fit() == "failed"
    info = runs.open_run(trainer.run.run_id)
    assert info.status == "failed" and "NaN" in info.error and "step 10" in info.error
    weights = checkpoint.load_weights(info.file(runs.MODEL_FILE))
    assert weights.step == 10
    assert all(bool(torch.isfinite(t).all()) for t in weights.tensors.values())
    end = read_events(info.file(runs.METRICS_FILE))[-1]
    assert end["event"] == "end" and end["status"] == "failed"


def test_truncated_and_foreign_files_are_clear_errors(tmp_path):
    bad = tmp_path / "t.safetensors"
    bad.write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"a":')
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        checkpoint.load_weights(bad)
    from safetensors.torch import save_file

    save_file({"something.else": torch.zeros(2)}, str(tmp_path / "f.safetensors"))
    with pytest.raises(CheckpointError, match="not a Tofy or seed checkpoint"):
        checkpoint.load_weights(tmp_path / "f.safetensors")


def test_events_tell_the_story_of_a_run(tiny_corpus):
    trainer = start(make_config(tiny_corpus, steps=20, eval_every=10, log_every=5))
    trainer.fit()
    events = read_events(trainer.run.file(runs.METRICS_FILE))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("step") == 4 and kinds.count("eval") == 2 and "checkpoint" in kinds
    step = next(e for e in events if e["event"] == "step")
    for key in (
        "loss",
        "mse",
        "ce",
        "align",
        "accuracy",
        "lr",
        "momentum",
        "tokens_per_s",
        "eta",
        "elapsed",
        "collapse",
        "mem_kind",
        "mem_rss",
    ):
        assert key in step, key
    assert events[0]["corpus"]["phrases"] == 20 and events[0]["parameters"] > 0


def test_schedules_are_pure_functions_of_the_step():
    train = TrainConfig(steps=1000, lr=1e-3, min_lr=1e-5)
    assert train.warmup_steps() == 100
    assert get_lr(0, train) == pytest.approx(1e-5)
    assert get_lr(99, train) == pytest.approx(1e-3)
    assert get_lr(1000, train) == pytest.approx(1e-5)
    assert get_momentum(0, train) == pytest.approx(0.996)
    assert get_momentum(1000, train) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (dict(dim=30, heads=4), "not divisible by heads"),
        (dict(max_vocab=3), "at least 5"),
        (dict(layers=0), "positive whole number"),
    ],
)
def test_config_validation_messages(model, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**model).validate()


def test_parameter_count_matches_the_model():
    config = ModelConfig(dim=32, layers=2, heads=4, max_vocab=100)
    model = LatentModel(config)
    assert config.parameter_count() == sum(p.numel() for p in model.parameters())


def test_the_encoder_asked_only_at_masked_positions_gives_the_same_states():
    config = ModelConfig(dim=32, layers=2, heads=4, max_vocab=100)
    config.vocab_size = 100
    torch.manual_seed(0)
    model = LatentModel(config).eval()
    g = torch.Generator().manual_seed(0)
    phrases = [torch.randint(3, 100, (n,), generator=g).tolist() for n in (3, 9, 17, 5)]
    batch = mask_batch(TokenTable.from_phrases(phrases, 24).rows(torch.arange(4)), 100, g)
    everywhere = model.encoder(batch.inputs, batch.padding)[batch.masked]
    selected = model.encoder(batch.inputs, batch.key_padding, batch.selection)
    assert torch.allclose(everywhere, selected, atol=1e-5)


def test_the_word_softmax_loss_is_cross_entropy_over_the_table():
    torch.manual_seed(0)
    queries = torch.randn(6, 8, dtype=torch.float64, requires_grad=True)
    table = torch.randn(20, 8, dtype=torch.float64)
    labels = torch.randint(0, 20, (6,))
    loss, hits = word_softmax_loss(queries, table, labels)
    expected = torch.nn.functional.cross_entropy(queries @ table.T, labels)
    assert torch.allclose(loss, expected)
    assert torch.equal(hits, (queries @ table.T).argmax(-1) == labels)
    (grad,) = torch.autograd.grad(loss, queries)
    (expected_grad,) = torch.autograd.grad(expected, queries)
    assert torch.allclose(grad, expected_grad)


def test_explicit_attention_is_sdpa_with_the_padding_mask():
    torch.manual_seed(0)
    q, k, v = (torch.randn(3, 2, 5, 4) for _ in range(3))
    padding = torch.tensor([[True] * 5, [True, True, True, False, False], [True] * 2 + [False] * 3])
    key_mask = padding[:, None, None, :]
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
    assert torch.allclose(explicit_attention(q, k, v, key_mask), expected, atol=1e-6)
    plain = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(explicit_attention(q, k, v, None), plain, atol=1e-6)
