"""Probing a model: the trained weights are what answers, the scores are what the saved
tensors say, a query without an answer gets the model's guesses, and every problem with a
model file is one clear message. (Query parsing alone: test_diff_query.py.)"""

from __future__ import annotations

import json
import math
import os

import pytest
import torch
from diff_model import HEADS, PHRASES, seed_copy, train_phrases
from safetensors.torch import load_file, save_file

from tofy_core.config import RunConfig
from tofy_core.errors import CheckpointError, ConfigError, QueryError, RunNotFoundError
from tofy_core.probe.prober import Prober
from tofy_core.probe.query import MASK
from tofy_core.runs import folders as runs
from tofy_core.runs.seed_format import SeedSizes


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> runs.RunInfo:
    """A model trained 300 steps on the 12 phrases (a few seconds on a laptop CPU)."""
    return train_phrases(tmp_path_factory.mktemp("diff_home"), steps=300, run_id="trained")


@pytest.fixture(scope="module")
def prober(trained) -> Prober:
    return Prober.load(str(trained.path))


# --- asking a trained model ------------------------------------------------------------------


def reference_prediction(tensors: dict[str, torch.Tensor], ids: list[int], mask: int, heads: int):
    """The seed's architecture written out from DESIGN.md in float64, straight from the saved
    tensors: an independent check of the model code the prober uses."""
    t = {k: v.double() for k, v in tensors.items()}
    dim = t["encoder.embed.weight"].shape[1]
    length = len(ids)
    positions = torch.zeros(length, dim, dtype=torch.float64)
    for p in range(length):
        for i in range(0, dim, 2):
            angle = p / 10000 ** (i / dim)
            positions[p, i] = math.sin(angle)
            if i + 1 < dim:
                positions[p, i + 1] = math.cos(angle)

    def norm(x, name):
        return torch.nn.functional.layer_norm(
            x, (dim,), t[f"{name}.weight"], t[f"{name}.bias"], 1e-5
        )

    def linear(x, name):
        return x @ t[f"{name}.weight"].T + t[f"{name}.bias"]

    x = t["encoder.embed.weight"][ids] + positions
    layer = 0
    while f"encoder.block_{layer}.ln1.weight" in t:
        b = f"encoder.block_{layer}"
        h = norm(x, f"{b}.ln1")
        q, k, v = (
            linear(h, f"{b}.attn.{n}_proj").view(length, heads, -1).transpose(0, 1) for n in "qkv"
        )
        scores = q @ k.transpose(1, 2) / math.sqrt(dim // heads)
        attended = (scores.softmax(-1) @ v).transpose(0, 1).reshape(length, dim)
        x = x + linear(attended, f"{b}.attn.out_proj")
        x = x + linear(
            torch.nn.functional.gelu(linear(norm(x, f"{b}.ln2"), f"{b}.ff1")), f"{b}.ff2"
        )
        layer += 1
    h = norm(x, "encoder.ln_final")[mask]
    return linear(torch.relu(linear(h, "predictor.fc1")), "predictor.fc2")


def test_scores_agree_with_a_direct_computation_from_the_saved_tensors(trained, prober):
    tensors = load_file(trained.file(runs.MODEL_FILE))
    vocab = prober.vocab
    found = prober.ask("bob likes green _ => pears", top_k=4)
    (result,) = found.results
    ids = [vocab.id(w) for w in ("bob", "likes", "green")] + [2]
    predicted = reference_prediction(tensors, ids, 3, HEADS)
    table = tensors["teacher.embed.weight"].double()
    cosines = torch.nn.functional.normalize(table[3:], dim=-1) @ (predicted / predicted.norm())
    cosine = float(cosines[vocab.id("pears") - 3])
    assert result.cosine == pytest.approx(cosine, abs=1e-5)
    assert result.l2_unit == pytest.approx(math.sqrt(2 - 2 * cosine), abs=1e-4)
    assert result.rank == int((cosines > cosines[vocab.id("pears") - 3]).sum()) + 1
    assert result.words == len(vocab) - 3
    best = cosines.topk(4)
    assert [w for w, _ in found.neighbors] == [vocab.tokens[int(i) + 3] for i in best.indices]
    assert [c for _, c in found.neighbors] == pytest.approx(best.values.tolist(), abs=1e-5)
    assert found.tokens == ["bob", "likes", "green", MASK] and found.mask_index == 3
    assert result.percentile == pytest.approx(
        100 * (result.words - result.rank) / (result.words - 1)
    )


def test_negating_the_answer_row_of_a_seed_file_flips_the_cosine(trained, tmp_path):
    """Proof the weights are used: a seed file (no teacher) is scored against its online
    embedding, and negating the answer's row negates the cosine and nothing else."""
    plain = Prober.load(str(seed_copy(trained, tmp_path / "a")), heads=HEADS)
    assert plain.seed_file
    answer_id = plain.vocab.id("tea")

    def negate(tensors):
        tensors["encoder.embed.weight"][answer_id] *= -1

    flipped = Prober.load(str(seed_copy(trained, tmp_path / "b", negate)), heads=HEADS)
    query = "erin drinks hot _ => tea"
    before, after = plain.query(query), flipped.query(query)
    assert before.cosine != pytest.approx(0, abs=1e-3)
    assert after.cosine == pytest.approx(-before.cosine, abs=1e-5)
    online = load_file(trained.file(runs.MODEL_FILE))["encoder.embed.weight"]
    teacher = Prober.load(str(trained.path)).query(query)
    assert torch.allclose(plain.targets, online)
    assert teacher.cosine != pytest.approx(before.cosine, abs=1e-6)  # the teacher table differs


def test_a_trained_model_puts_the_right_word_in_its_top_5_more_often_than_chance(prober):
    hits = tries = 0
    for phrase in PHRASES:
        words = phrase.split()
        for i, word in enumerate(words):
            masked = " ".join("_" if j == i else w for j, w in enumerate(words))
            result = prober.query(f"{masked} => {word}")
            hits += result.rank <= 5
            tries += 1
    print(f"top-5 hits {hits}/{tries}, {prober.words} words")
    chance = 5 / prober.words
    assert hits / tries > 2 * chance, (hits, tries, prober.words)
    assert hits / tries >= 0.4, (hits, tries)


def test_several_answers_are_scored_side_by_side_best_first(prober):
    results = prober.query("carol eats yellow _ => tea, bananas, drums")
    assert isinstance(results, list) and len(results) == 3
    assert [r.rank for r in results] == sorted(r.rank for r in results)
    assert {r.answer for r in results} == {"tea", "bananas", "drums"}
    assert len({r.cosine for r in results}) == 3
    single = prober.query("carol eats yellow _ => drums")
    assert single.cosine == pytest.approx(next(r for r in results if r.answer == "drums").cosine)
    two = prober.ask("carol eats yellow _ => tea, bananas")
    payload = json.loads(json.dumps(two.to_json()))
    assert [r["answer"] for r in payload["results"]] == [r.answer for r in two.results]
    assert [r.answer for r in two.results] == [r.answer for r in results if r.answer != "drums"]
    assert payload["tokens"] == ["carol", "eats", "yellow", MASK]


def test_without_an_answer_the_nearest_words_are_the_guesses(prober):
    guess = prober.ask("erin drinks hot _", top_k=3)
    assert guess.is_guess and guess.results == [] and len(guess.neighbors) == 3
    top_word, top_cosine = guess.neighbors[0]
    scored = prober.query(f"erin drinks hot _ => {top_word}")
    assert scored.rank == 1 and scored.cosine == pytest.approx(top_cosine, abs=1e-6)
    with pytest.raises(QueryError, match="no answer to score"):
        prober.query_all("erin drinks hot _")


def test_an_unknown_answer_is_reported_beside_the_others(prober):
    found = prober.ask("erin drinks hot _ => tea, milkk, milk")
    assert [r.answer for r in found.results] == sorted(
        ["tea", "milk"], key=lambda a: prober.query(f"erin drinks hot _ => {a}").rank
    )
    assert [(u.answer, u.close[:1]) for u in found.unknown_answers] == [("milkk", ["milk"])]
    assert "'milkk' is not in the model's vocabulary (close: milk" in found.notes()[0]


def test_the_answer_is_removed_from_the_phrase_and_reported(prober):
    result = prober.ask("tea erin drinks hot _ => tea")
    assert result.removed == ["tea"]
    assert result.tokens == ["erin", "drinks", "hot", MASK]
    assert any("removed" in note and "tea" in note for note in result.notes())
    same = prober.query("erin drinks hot _ => tea").cosine
    assert result.results[0].cosine == pytest.approx(same)


def test_unknown_phrase_words_are_reported_and_an_all_unknown_phrase_still_answers(prober):
    some = prober.ask("erin zorbles hot _ => tea")
    assert some.unknown == ["zorbles"] and not some.no_context
    blind = prober.ask("qwerty zorbles _ => tea")
    assert blind.no_context and blind.unknown == ["qwerty", "zorbles"]
    assert any("unknown" in note for note in blind.notes())
    (score,) = blind.results
    assert -1 <= score.cosine <= 1 and 1 <= score.rank <= score.words


def test_a_phrase_longer_than_max_seq_is_windowed(prober):
    assert prober.config.max_seq == 16
    filler = " ".join(["alice likes red apples"] * 8)
    result = prober.ask(f"{filler} bob likes green _ => pears")
    assert len(result.tokens) == 16 and result.tokens[result.mask_index] == MASK
    assert result.tokens[-4:] == ["bob", "likes", "green", MASK]
    assert (result.dropped_before, result.dropped_after) == (32 + 3 - 15, 0)
    assert any("window" in note for note in result.notes())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("erin drinks hot _ => teaa", "'teaa' (close: tea"),
        ("erin drinks hot _ => zzzzzz", "'zzzzzz' is not in the model's vocabulary"),
        ("erin drinks hot _ => tea, milkk, xqxq", "'milkk' (close: milk) and 'xqxq' are not"),
        ("tea _ => tea", "nothing but the mask is left"),
    ],
)
def test_answers_outside_the_vocabulary_suggest_close_words(prober, text, fragment):
    with pytest.raises(QueryError) as caught:
        prober.query(text)
    assert fragment in str(caught.value)


# --- loading --------------------------------------------------------------------------------


def test_a_model_loads_from_run_id_folder_or_file(trained, prober, monkeypatch):
    monkeypatch.setenv("TOFY_HOME", str(trained.path.parents[2]))
    query = "judy plays soft _ => piano"
    expected = prober.query(query).cosine
    by_id = Prober.load("trained")
    by_prefix = Prober.load("train")
    by_file = Prober.load(str(trained.file(runs.MODEL_FILE)))
    with_vocab = Prober.load(
        str(trained.file(runs.MODEL_FILE)), vocab=str(trained.file(runs.VOCAB_FILE))
    )
    for loaded in (by_id, by_prefix, by_file, with_vocab):
        assert loaded.query(query).cosine == pytest.approx(expected, abs=1e-6)
        assert not loaded.seed_file and loaded.step == 300
    assert "trained" in by_id.describe() and "step 300" in by_id.describe()


def test_seed_file_sizes_come_from_shapes_and_given_sizes_must_match(trained, tmp_path):
    path = str(seed_copy(trained, tmp_path))
    in_folder = Prober.load(str(tmp_path), heads=HEADS)  # the seed's output folder
    assert in_folder.seed_file and in_folder.label == path
    loaded = Prober.load(path, sizes=SeedSizes(dim=32, max_seq=16, layers=2, heads=HEADS))
    assert (loaded.config.dim, loaded.config.layers, loaded.config.heads) == (32, 2, HEADS)
    with pytest.raises(ConfigError, match="has dim 32, but 64 was given"):
        Prober.load(path, sizes=SeedSizes(dim=64))
    with pytest.raises(ConfigError, match="has layers 2, but 3 was given"):
        Prober.load(path, sizes=SeedSizes(layers=3))
    with pytest.raises(ConfigError, match="not divisible by heads 5"):
        Prober.load(path, heads=5)
    run_file = str(trained.file(runs.MODEL_FILE))
    with pytest.raises(ConfigError, match="has max_seq 16, but 72 was given"):
        Prober.load(run_file, sizes=SeedSizes(max_seq=72))
    with pytest.raises(ConfigError, match="has heads 2, but 4 was given"):
        Prober.load(run_file, heads=4)


def test_files_that_are_not_checkpoints_are_clear_errors(trained, tmp_path):
    vocab = str(trained.file(runs.VOCAB_FILE))
    pickle = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pickle)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        Prober.load(str(pickle), vocab=vocab)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"bert.embeddings": torch.zeros(4, 4)}, foreign)
    with pytest.raises(CheckpointError, match="not a Tofy or seed checkpoint"):
        Prober.load(str(foreign), vocab=vocab)
    with pytest.raises(CheckpointError, match="does not exist"):
        Prober.load(str(tmp_path / "missing.safetensors"), vocab=vocab)
    lone = tmp_path / "lone" / "weights.safetensors"
    lone.parent.mkdir()
    lone.write_bytes(trained.file(runs.MODEL_FILE).read_bytes())
    with pytest.raises(CheckpointError, match="pass --vocab"):
        Prober.load(str(lone))
    with pytest.raises(CheckpointError, match=r"holds neither model\.safetensors nor"):
        Prober.load(str(lone.parent))
    with pytest.raises(RunNotFoundError):
        Prober.load("no-such-run")


def test_a_vocab_that_does_not_match_the_weights_is_refused(trained, tmp_path):
    weights = str(trained.file(runs.MODEL_FILE))
    tokens = trained.file(runs.VOCAB_FILE).read_text(encoding="utf-8").splitlines()
    short = tmp_path / "short.txt"
    short.write_text("\n".join(tokens[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"has \d+ tokens but the model's embedding has"):
        Prober.load(weights, vocab=str(short))
    swapped = tmp_path / "swapped.txt"
    swapped.write_text("\n".join([*tokens[:3], *reversed(tokens[3:])]) + "\n", encoding="utf-8")
    with pytest.raises(CheckpointError, match="not the one these weights were trained with"):
        Prober.load(weights, vocab=str(swapped))
    not_vocab = tmp_path / "words.txt"
    not_vocab.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(CheckpointError, match="must start with"):
        Prober.load(weights, vocab=str(not_vocab))


def test_a_run_without_weights_yet_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TOFY_HOME", str(tmp_path))
    runs.create_run(RunConfig().validate(), "empty")
    with pytest.raises(CheckpointError, match="no saved weights yet"):
        Prober.load("empty")


def test_a_run_still_training_is_probed_at_its_last_checkpoint(trained, tmp_path):
    copy = tmp_path / "runs" / "live"
    copy.mkdir(parents=True)
    for name in (runs.RUN_FILE, runs.CONFIG_FILE, runs.MODEL_FILE, runs.VOCAB_FILE):
        (copy / name).write_bytes(trained.file(name).read_bytes())
    info = runs.read_info(copy)
    info.status, info.pid, info.steps = "running", os.getpid(), 1000
    runs.write_info(info)
    live = Prober.load(str(copy))
    assert live.training and live.step == 300
    assert "step 300 (the last checkpoint: the run is still training)" in live.describe()
