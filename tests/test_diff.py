"""Probing a model: queries are read as training read text, the trained weights are what
answers, the scores are what the saved tensors say, and every bad query is one clear message."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tofy_core import runs
from tofy_core.config import ModelConfig, RunConfig, TrainConfig
from tofy_core.data.split import prepare_data
from tofy_core.diff import Prober, SeedSizes, results_json
from tofy_core.diff_query import MASK, parse_query, strip_answers, window
from tofy_core.errors import CheckpointError, ConfigError, QueryError, RunNotFoundError
from tofy_core.train import Trainer

# Each phrase's words are fixed by their neighbours, so a small model can learn them.
PHRASES = [
    "alice likes red apples",
    "bob likes green pears",
    "carol eats yellow bananas",
    "dave eats purple grapes",
    "erin drinks hot tea",
    "frank drinks cold milk",
    "grace reads old books",
    "henry reads new comics",
    "ivan plays loud drums",
    "judy plays soft piano",
    "kate paints blue skies",
    "leo paints dark forests",
]
HEADS = 2


def train_run(home: Path, corpus: Path, steps: int, run_id: str, **model) -> runs.RunInfo:
    """Train in-process under `home`; returns the finished run."""
    sizes = {"dim": 32, "layers": 2, "heads": HEADS, "max_seq": 16, "max_vocab": 200, **model}
    config = RunConfig(
        ModelConfig(**sizes),
        TrainConfig(
            data=str(corpus),
            steps=steps,
            batch=16,
            lr=3e-3,
            log_every=50,
            eval_every=10_000,
            checkpoint_every=10_000,
            holdout=0.0,
            device="cpu",
        ),
    ).validate()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and immune to busy cores
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOFY_HOME", str(home))
            trainer = Trainer(runs.create_run(config, run_id), config, prepare_data(config))
            assert trainer.fit() == "finished"
    finally:
        torch.set_num_threads(threads)
    return trainer.run


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> runs.RunInfo:
    """A model trained 300 steps on the 12 phrases above (a few seconds on a laptop CPU)."""
    home = tmp_path_factory.mktemp("diff_home")
    corpus = home / "phrases.txt"
    corpus.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    return train_run(home, corpus, steps=300, run_id="trained")


@pytest.fixture(scope="module")
def prober(trained) -> Prober:
    return Prober.load(str(trained.path))


def seed_copy(run: runs.RunInfo, folder: Path, change=None) -> Path:
    """The run's weights as the seed wrote them: no metadata, no teacher table, and
    `vocab_latent.txt` beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = load_file(run.file(runs.MODEL_FILE))
    del tensors["teacher.embed.weight"]
    if change:
        change(tensors)
    path = folder / "model_latent.safetensors"
    save_file(tensors, path)
    (folder / "vocab_latent.txt").write_bytes(run.file(runs.VOCAB_FILE).read_bytes())
    return path


# --- reading a query -----------------------------------------------------------------------


def test_a_query_is_tokenized_like_training_text():
    query = parse_query("So, how have you _ lately?  =>  Been")
    assert query.tokens == ("so", ",", "how", "have", "you", MASK, "lately", "?")
    assert query.mask_index == 5
    assert query.answers == ("been",)


@pytest.mark.parametrize(
    "text",
    [
        "how have you _ lately? => been",
        "how have you [MASK] lately? => been",
        "how have you [mask] lately? => been",
        "how have you [Mask]lately? => been",
        "how have you ___ lately? => been",
        "how have you (_) lately? => been",
    ],
)
def test_the_mask_is_an_underscore_or_MASK_standing_alone(text):
    query = parse_query(text)
    assert query.tokens[query.mask_index] == MASK
    assert [t for t in query.tokens if t not in "()"] == [
        "how", "have", "you", MASK, "lately", "?"
    ]  # fmt: skip


def test_the_model_s_case_setting_is_kept():
    assert parse_query("I saw Paris _ => Tower", lowercase=False).tokens == (
        "I", "saw", "Paris", MASK,
    )  # fmt: skip
    assert parse_query("I saw Paris _ => Tower", lowercase=False).answers == ("Tower",)
    assert parse_query("I saw Paris _ => Tower").answers == ("tower",)


def test_answers_can_be_quoted_and_several_are_split_on_commas():
    assert parse_query("a _ b => `been`").answers == ("been",)
    assert parse_query('a _ b => "been"').answers == ("been",)
    assert parse_query("a _ b => don't").answers == ("don't",)
    assert parse_query("a _ b => been, done,felt, been").answers == ("been", "done", "felt")
    assert parse_query("a _ b => ,").answers == (",",)


def test_answer_tokens_leave_the_phrase_and_the_mask_follows():
    tokens, mask, removed = strip_answers(("been", "so", "been", MASK, "been", "x"), 3, ("been",))
    assert tokens == ["so", MASK, "x"] and tokens[mask] == MASK
    assert removed == ["been", "been", "been"]


def test_a_long_phrase_is_windowed_around_the_mask():
    tokens = [f"w{i}" for i in range(40)]
    tokens[30] = MASK
    kept, mask, before, after = window(tokens, 30, 10)
    assert len(kept) == 10 and kept[mask] == MASK and kept == tokens[25:35]
    assert (before, after) == (25, 5)
    kept, mask, before, after = window(tokens, 38, 10)  # near the end: the last 10
    assert kept == tokens[30:] and mask == 8 and (before, after) == (30, 0)
    kept, mask, before, after = window(tokens, 2, 10)  # near the start: the first 10
    assert kept == tokens[:10] and mask == 2 and (before, after) == (0, 30)
    assert window(tokens[:8], 3, 10) == (tokens[:8], 3, 0, 0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("how have you _ lately", "no `=>`"),
        ("how have you been lately => been", "no mask"),
        ("how have_you been => been", "touching a word"),
        ("how _ you _ lately => been", "2 masks"),
        ("   => been", "empty phrase"),
        ("_ => been", "only the mask"),
        ("how have you _ lately =>   ", "empty answer"),
        ("how have you _ lately => have been", "one word"),
        ("how have you _ lately => e-mail", "3 tokens (e - mail)"),
        ("a _ => b => c", "more than one `=>`"),
    ],
)
def test_malformed_queries_are_one_clear_message(text, fragment):
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


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
    result = prober.query("bob likes green _ => pears", top_k=4)
    ids = [vocab.id(w) for w in ("bob", "likes", "green")] + [2]
    predicted = reference_prediction(tensors, ids, 3, HEADS)
    table = tensors["teacher.embed.weight"].double()
    answer = table[vocab.id("pears")]
    cosines = torch.nn.functional.normalize(table[3:], dim=-1) @ (predicted / predicted.norm())
    cosine = float(cosines[vocab.id("pears") - 3])
    assert result.cosine == pytest.approx(cosine, abs=1e-5)
    assert result.l2_unit == pytest.approx(math.sqrt(2 - 2 * cosine), abs=1e-4)
    assert result.l2 == pytest.approx(float((predicted - answer).norm()), rel=1e-5)
    assert result.rank == int((cosines > cosines[vocab.id("pears") - 3]).sum()) + 1
    assert result.words == len(vocab) - 3
    best = cosines.topk(4)
    assert [w for w, _ in result.neighbors] == [vocab.tokens[int(i) + 3] for i in best.indices]
    assert [c for _, c in result.neighbors] == pytest.approx(best.values.tolist(), abs=1e-5)
    assert result.tokens == ["bob", "likes", "green", MASK] and result.mask_index == 3


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
    assert all(r.tokens == results[0].tokens for r in results)
    single = prober.query("carol eats yellow _ => drums")
    assert single.cosine == pytest.approx(next(r for r in results if r.answer == "drums").cosine)
    payload = json.loads(json.dumps(results_json("q", results)))
    assert [r["answer"] for r in payload["results"]] == [r.answer for r in results]
    assert payload["tokens"] == ["carol", "eats", "yellow", MASK]


def test_the_answer_is_removed_from_the_phrase_and_reported(prober):
    result = prober.query("tea erin drinks hot _ => tea")
    assert result.removed == ["tea"]
    assert result.tokens == ["erin", "drinks", "hot", MASK]
    assert any("removed" in note and "tea" in note for note in result.notes())
    assert result.cosine == pytest.approx(prober.query("erin drinks hot _ => tea").cosine)


def test_unknown_phrase_words_are_reported_and_an_all_unknown_phrase_still_answers(prober):
    some = prober.query("erin zorbles hot _ => tea")
    assert some.unknown == ["zorbles"] and not some.no_context
    blind = prober.query("qwerty zorbles _ => tea")
    assert blind.no_context and blind.unknown == ["qwerty", "zorbles"]
    assert any("unknown" in note for note in blind.notes())
    assert -1 <= blind.cosine <= 1 and 1 <= blind.rank <= blind.words


def test_a_phrase_longer_than_max_seq_is_windowed(prober):
    assert prober.config.max_seq == 16
    filler = " ".join(["alice likes red apples"] * 8)
    result = prober.query(f"{filler} bob likes green _ => pears")
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


def test_queries_after_the_first_take_milliseconds(prober):
    prober.query("alice likes red _ => apples")
    times = [prober.query("alice likes red _ => apples").elapsed_ms for _ in range(20)]
    assert statistics.median(times) < 50, times


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
