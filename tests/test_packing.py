"""Packed rows: several whole phrases share a row, yet the model computes exactly what it
computes on each phrase alone; masking stays per phrase; resume stays bit-exact; and the
real tokens a step reads are counted as such."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tofy_core.cli.train import resume_trainer
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.masking import (
    BatchSampler,
    TokenTable,
    mask_batch,
    pack_batch,
    place_phrases,
)
from tofy_core.data.split import prepare_data
from tofy_core.data.vocab import FIRST_WORD_ID, PAD_ID
from tofy_core.model import encoder as encoder_module
from tofy_core.model.latent import LatentModel, export_tensors
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.train.trainer import Trainer

VOCAB = 40
LENGTHS = [3, 7, 2, 5, 12, 4, 9, 2, 6]


def phrase_table(lengths=LENGTHS, width: int = 16, seed: int = 0) -> TokenTable:
    generator = torch.Generator().manual_seed(seed)
    phrases = [
        torch.randint(FIRST_WORD_ID, VOCAB, (n,), generator=generator).tolist() for n in lengths
    ]
    return TokenTable.from_phrases(phrases, width)


def tiny_model(max_seq: int = 16, layers: int = 2) -> LatentModel:
    torch.manual_seed(0)
    config = ModelConfig(dim=16, layers=layers, heads=2, max_seq=max_seq, vocab_size=VOCAB)
    return LatentModel(config.validate()).eval()


def packed_and_plain(table: TokenTable, seed: int = 3):
    """One batch of every phrase of `table`, masked, and the same batch packed."""
    rows = table.rows(torch.arange(len(table)))
    plain = mask_batch(rows, VOCAB, torch.Generator().manual_seed(seed))
    return plain, pack_batch(rows, plain, table.ids.shape[1])


@pytest.mark.parametrize("explicit", [True, False], ids=["two-matmul", "sdpa"])
def test_a_packed_rows_states_equal_its_phrases_run_one_by_one(monkeypatch, explicit):
    if not explicit:  # every key count goes to SDPA and its boolean mask
        monkeypatch.setattr(encoder_module, "EXPLICIT_ATTENTION_MAX_KEYS", 0)
    table = phrase_table()
    model = tiny_model()
    _, packed = packed_and_plain(table)
    assert packed.inputs.shape[0] < len(table)  # several phrases do share rows
    with torch.no_grad():
        states = model.encoder(packed.inputs, packed.key_padding, positions=packed.positions)
        for phrase in range(len(table)):
            where = packed.segments == phrase
            row = int(where.any(dim=1).nonzero())
            alone_ids = packed.inputs[row][where[row]].unsqueeze(0)
            alone = model.encoder(alone_ids)[0]  # one phrase, one row, no mask needed
            torch.testing.assert_close(states[row][where[row]], alone, atol=1e-5, rtol=1e-5)


def test_packing_keeps_each_phrase_its_masks_and_the_loss():
    table = phrase_table()
    plain, packed = packed_and_plain(table)
    assert packed.real_tokens == plain.real_tokens == sum(LENGTHS)
    assert packed.tokens < plain.tokens  # less padding computed
    for phrase in range(len(table)):
        n = LENGTHS[phrase]
        where = packed.segments == phrase
        assert torch.equal(packed.inputs[where], plain.inputs[phrase, :n])
        assert torch.equal(packed.masked[where], plain.masked[phrase, :n])
        assert torch.equal(packed.positions[where], torch.arange(n))
        assert packed.masked[where].any()  # at least one masked word per phrase
    assert sorted(packed.targets.tolist()) == sorted(plain.targets.tolist())
    assert bool((packed.inputs[packed.segments < 0] == PAD_ID).all())

    model, train = tiny_model(), TrainConfig()
    with torch.no_grad():
        a = model.loss(plain.inputs, plain.key_padding, plain.masked, plain.targets, train)
        b = model.loss(
            packed.inputs,
            packed.key_padding,
            packed.masked,
            packed.targets,
            train,
            selection=packed.selection,
            positions=packed.positions,
        )
    torch.testing.assert_close(a.total, b.total, atol=1e-5, rtol=1e-5)


def test_a_packed_sampler_draws_the_same_phrases_and_masks_as_an_unpacked_one():
    table = phrase_table(lengths=[2 + (i * 5) % 14 for i in range(50)])
    packed, plain = BatchSampler(table, VOCAB, 7, pack=True), BatchSampler(table, VOCAB, 7)
    for _ in range(5):
        a, b = packed.sample(8, 0.15, 0), plain.sample(8, 0.15, 0)
        assert a.real_tokens == b.real_tokens and a.tokens <= b.tokens
        assert a.targets.numel() == b.targets.numel()
        assert sorted(a.targets.tolist()) == sorted(b.targets.tolist())
        assert a.inputs.shape[1] <= table.ids.shape[1]
    assert torch.equal(packed.get_state(), plain.get_state())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=30), st.integers(20, 40))
def test_every_phrase_gets_a_place_of_its_own_in_a_row(lengths, width):
    rows, offsets, fills = place_phrases(lengths, width)
    taken: set[tuple[int, int]] = set()
    for row, offset, size in zip(rows, offsets, lengths, strict=True):
        cells = {(row, offset + k) for k in range(size)}
        assert not cells & taken and offset + size <= width
        taken |= cells
    assert fills == [
        sum(n for n, r in zip(lengths, rows, strict=True) if r == i) for i in range(len(fills))
    ]
    assert len(fills) <= max(1, 2 * sum(lengths) // width + 1)  # first fit: rows half full at worst


def uneven_corpus(tmp_path):
    lines = [" ".join(f"w{(i * 7 + k) % 23}" for k in range(2 + (i * 5) % 11)) for i in range(80)]
    path = tmp_path / "uneven.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tiny_run(data, steps: int, pack: bool = True) -> RunConfig:
    model = ModelConfig(dim=16, layers=1, heads=2, max_seq=24, max_vocab=500)
    train = TrainConfig(
        data=str(data), steps=steps, batch=6, log_every=4, checkpoint_every=100, pack=pack
    )
    return RunConfig(model, train).validate()


def test_a_packed_run_stopped_and_resumed_ends_bit_exactly_where_an_unbroken_one_does(tmp_path):
    data = uneven_corpus(tmp_path)
    config = tiny_run(data, 12)
    full = Trainer(runs.create_run(config, "full"), config, prepare_data(config))
    assert full.fit() == "finished"

    config = tiny_run(data, 12)
    part = Trainer(runs.create_run(config, "part"), config, prepare_data(config))
    make_batch = part.make_batch

    def stop_at_step_5():
        if part.step == 4:
            part.request_stop()
        return make_batch()

    part.make_batch = stop_at_step_5
    assert part.fit() == "stopped" and part.step == 5

    again = resume_trainer(runs.open_run("part"))
    assert again.train.pack is True and again.step == 5
    assert again.fit() == "finished" and again.step == 12
    expected, got = export_tensors(full.model), export_tensors(again.model)
    for name in expected:
        assert torch.equal(expected[name], got[name]), name


def test_step_events_count_the_real_tokens_a_packed_run_read(tmp_path):
    data = uneven_corpus(tmp_path)
    config = tiny_run(data, 8)
    prepared = prepare_data(config)
    replay = BatchSampler(prepared.train_table, len(prepared.vocab), config.train.seed, pack=True)
    batches = [replay.sample(6, config.train.mask_rate, 0) for _ in range(8)]
    trainer = Trainer(runs.create_run(config, "count"), config, prepared)
    assert trainer.fit() == "finished"
    events = list(read_events(trainer.run.file(runs.METRICS_FILE)))
    steps = [e for e in events if e["event"] == "step"]
    assert steps[-1]["real_tokens"] == sum(b.real_tokens for b in batches)
    assert events[-1]["real_tokens"] == sum(b.real_tokens for b in batches)
    for event in steps:  # packed rows: little padding left, and never counted as text
        assert 0 < event["real_tokens_per_s"] <= event["tokens_per_s"]


def test_held_out_evaluation_is_the_same_packed_or_not(tmp_path):
    data = uneven_corpus(tmp_path)
    scores = []
    for pack in (True, False):
        config = tiny_run(data, 4, pack=pack)
        trainer = Trainer(runs.create_run(config, f"eval-{pack}"), config, prepare_data(config))
        scores.append(trainer.evaluate())
    assert scores[0] == scores[1] and scores[0] is not None


def test_the_quality_benchmark_compares_packed_and_unpacked_at_equal_real_tokens(
    tiny_corpus, capsys
):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    quality = importlib.import_module("quality")
    quality.main(["--data", str(tiny_corpus), "--steps", "3", "--packing"])
    out = capsys.readouterr().out
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in out.splitlines()
        if line.startswith("| Tofy")
    }
    assert set(rows) == {"Tofy packed", "Tofy unpacked (--no-pack)"}
    assert rows["Tofy packed"] == rows["Tofy unpacked (--no-pack)"] != "0"
    assert "packed top-10 − unpacked top-10:" in out


def test_the_forms_pack_choice_reaches_the_training_command():
    from tofy_core.cli.argv import train_argv
    from tofy_tui.form_settings import DEFAULTS, check_form

    assert DEFAULTS["pack"] == "on"
    packed = check_form(DEFAULTS)
    assert packed.ok and packed.config.train.pack is True
    assert "--no-pack" not in train_argv(packed.config)
    plain = check_form({**DEFAULTS, "pack": "off"})
    assert plain.ok and plain.config.train.pack is False
    assert "--no-pack" in train_argv(plain.config)
    assert "pack" in check_form({**DEFAULTS, "pack": "maybe"}).errors


def test_a_run_saved_before_packing_existed_resumes_unpacked():
    saved = RunConfig().to_dict()
    assert RunConfig.from_dict(saved).train.pack is True  # new runs record their choice
    del saved["train"]["pack"]
    assert RunConfig.from_dict(saved).train.pack is False  # older ones trained unpacked
