"""Any input, only our own errors, and results that hold their promises: the tokenizer
round-trips its own output, vocabularies are dense and stable, a diff query parses into
fields that agree or fails naming the part, hub specs give safe cache names, and every
reader of a file from disk either returns what its callers rely on or raises a TofyError
(one line for the user), never a Python traceback. Hypothesis writes the inputs; CI runs
them with a fixed seed (the `ci` profile, tests/conftest.py)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tofy_core.config import RunConfig
from tofy_core.data.hub_cache import CacheEntry
from tofy_core.data.hub_spec import HubSpec, parse_hub_spec
from tofy_core.data.text import read_phrase_lines, tokenize
from tofy_core.data.vocab import SPECIAL_TOKENS, Vocab
from tofy_core.errors import TofyError
from tofy_core.probe.query import MASK, parse_query
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.runs.files import check_safetensors_header

FEW = settings(  # the number of examples and the seed come from the profile (conftest.py)
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
config_keys = st.sampled_from(
    [
        *("dim", "layers", "heads", "max_seq", "max_vocab", "vocab_size", "steps", "batch"),
        *("lr", "data", "seed", "phases", "mask_rate", "masks_per_seq", "device", "threads"),
    ]
)


@FEW
@given(st.text())
def test_the_tokenizer_round_trips_its_own_output(text):
    tokens = tokenize(text)
    assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens)
    assert tokenize(" ".join(tokens)) == tokens  # tokenize ∘ join is the identity on tokens
    assert bool(tokenize(text, lowercase=False)) == bool(tokens)  # case never empties one


words = st.text(st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=8)
phrases = st.lists(st.lists(words, min_size=1, max_size=6), min_size=1, max_size=12)


@FEW
@given(phrases, st.integers(4, 40))
def test_vocab_ids_are_dense_stable_and_capped(tmp_path, phrases, max_vocab):
    tokenized = [tokenize(" ".join(p)) for p in phrases]
    vocab = Vocab.build(tokenized, max_vocab)
    assert tuple(vocab.tokens[:3]) == SPECIAL_TOKENS
    assert [vocab.id(t) for t in vocab.tokens] == list(range(len(vocab)))  # dense, unique
    distinct = {t for p in tokenized for t in p}
    assert len(vocab) == 3 + min(len(distinct), max_vocab - 3)
    assert Vocab.build(list(reversed(tokenized)), max_vocab).tokens == vocab.tokens  # stable
    path = tmp_path / "vocab.txt"
    vocab.save(path)
    again = Vocab.load(path)
    assert again.tokens == vocab.tokens and again.digest() == vocab.digest()


@FEW
@given(st.binary(max_size=300))
def test_the_data_reader_takes_any_bytes(tmp_path, raw):
    path = tmp_path / "data.txt"
    path.write_bytes(raw)
    try:
        lines, blank = read_phrase_lines(path)
    except TofyError:
        return
    assert all(isinstance(line, str) for line in lines) and blank >= 0


QUERY_PARTS = ("=>", "phrase", "mask", "answer")


@FEW
@given(st.text(max_size=80) | st.builds(lambda a, b: f"{a} _ {b} => {b}", st.text(), st.text()))
def test_a_query_parses_into_agreeing_fields_or_names_the_part(text):
    try:
        query = parse_query(text)
    except TofyError as exc:
        message = str(exc)
        assert "\n" not in message and any(part in message for part in QUERY_PARTS), message
        return
    assert query.tokens[query.mask_index] == MASK and query.tokens.count(MASK) == 1
    assert len(query.tokens) >= 2
    assert len(set(query.answers)) == len(query.answers)
    assert all(tokenize(answer) == [answer] for answer in query.answers)


@FEW
@given(st.lists(words, max_size=5), st.lists(words, max_size=5), words)
def test_a_written_query_reads_back_as_written(before, after, answer):
    if not before and not after:
        before = ["so"]
    query = parse_query(f"{' '.join(before)} _ {' '.join(after)} => {answer}")
    assert query.tokens == (*tokenize(" ".join(before)), MASK, *tokenize(" ".join(after)))
    assert query.answers == tuple(tokenize(answer))


@FEW
@given(st.text(max_size=40))
def test_hub_specs_parse_to_safe_cache_names(text):
    try:
        spec = parse_hub_spec("hub:" + text)
    except TofyError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(spec, HubSpec) and spec.kind in ("hub", "folder") and spec.split
    assert "/" not in spec.key and "\0" not in spec.key and spec.key not in (".", "..")
    if spec.kind == "hub":
        assert parse_hub_spec(spec.spec) == spec  # what is cached under the key reads back


@FEW
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "model": st.dictionaries(config_keys, json_values, max_size=5) | json_values,
            "train": st.dictionaries(config_keys, json_values, max_size=5) | json_values,
        },
    )
)
def test_config_json_is_validated(tmp_path, data):
    info = runs.RunInfo("r", tmp_path)
    (tmp_path / runs.CONFIG_FILE).write_text(json.dumps(data))
    try:
        config = runs.read_config(info)
    except TofyError:
        return
    assert isinstance(config, RunConfig) and config.model.dim > 0


@FEW
@given(
    st.dictionaries(st.sampled_from(["status", "step", "pid", "name", "pid_started"]), json_values)
)
def test_run_json_is_validated(tmp_path, data):
    (tmp_path / runs.RUN_FILE).write_text(json.dumps(data))
    try:
        info = runs.read_info(tmp_path)
    except TofyError:
        return
    assert isinstance(info.step, int) and info.status in (
        "running",
        "finished",
        "stopped",
        "failed",
    )
    assert info.shown_status  # liveness checks take whatever pid was read


def safetensors_bytes(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


tensor_entries = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from(["F32", "F16", "I64", "BOOL", "X"]),
        "shape": st.lists(st.integers(0, 5), max_size=3),
        "data_offsets": st.lists(st.integers(0, 200), min_size=2, max_size=2),
    }
)
headers = st.dictionaries(
    st.sampled_from(["encoder.embed.weight", "step", "weights.encoder.embed.weight", "rng.x"]),
    tensor_entries,
    max_size=3,
).flatmap(
    lambda tensors: st.builds(
        lambda meta: {**tensors, "__metadata__": meta},
        st.dictionaries(
            st.sampled_from(["format", "step", "config", "vocab_hash"]),
            st.sampled_from(["tofy-latent", "12", "abc", "-1", "{}", '{"dim": "x"}', "[1]"]),
        ),
    )
)


@FEW
@given(st.binary(max_size=120) | st.builds(safetensors_bytes, headers, st.binary(max_size=200)))
def test_weights_and_state_files_are_validated(tmp_path, raw):
    path = tmp_path / "model.safetensors"
    path.write_bytes(raw)
    try:
        header = check_safetensors_header(path)
    except TofyError:
        header = None
    try:
        weights = checkpoint.load_weights(path)
    except TofyError:
        weights = None
    if weights is not None:  # what diff, export and import rely on
        assert header is not None  # the loader never takes what the cheap check refuses
        embed = weights.tensors["encoder.embed.weight"]
        assert embed.ndim == 2 and embed.is_floating_point() and weights.step >= 0
    try:
        state = checkpoint.read_state(path)
    except TofyError:
        return
    assert header is not None and isinstance(state.step, int) and state.step >= 0


line_text = st.text(st.characters(blacklist_characters="\r\n"), max_size=6)


@FEW
@given(st.lists(line_text, max_size=6), st.booleans())
def test_vocab_files_read_back_exactly_or_not_at_all(tmp_path, tokens, specials):
    path = tmp_path / "vocab.txt"
    written = [*SPECIAL_TOKENS, *tokens] if specials else tokens
    path.write_text("\n".join(written) + "\n", encoding="utf-8")
    try:
        vocab = Vocab.load(path)
    except TofyError as exc:
        assert "\n" not in str(exc)
        assert not specials or len(set(written)) < len(written)  # refused: not a Tofy vocab
        return
    assert vocab.tokens == written and tuple(written[:3]) == SPECIAL_TOKENS
    assert all(written[vocab.id(t)] == t for t in written)  # each id is the line of its word
    if len(set(written)) == len(written):
        assert [vocab.id(t) for t in written] == list(range(len(written)))  # dense


@FEW
@given(st.lists(json_values | st.text(max_size=20), max_size=8))
def test_metrics_lines_come_back_typed(tmp_path, records):
    path = tmp_path / "metrics.jsonl"
    lines = [
        json.dumps({"event": "step", "step": r, "loss": r}) if i % 2 else json.dumps(r)
        for i, r in enumerate(records)
    ]
    path.write_text("\n".join(lines) + "\n")
    for event in read_events(path):
        step = event.get("step")
        assert step is None or (isinstance(step, int) and not isinstance(step, bool))
        loss = event.get("loss")
        if event["event"] == "step" and loss is not None:  # a number, NaN included
            assert isinstance(loss, int | float) and not isinstance(loss, bool)


@FEW
@given(
    st.dictionaries(
        st.sampled_from(["format", "fingerprint", "lines", "rows", "bytes"]), json_values
    )
)
def test_hub_cache_sidecars_are_validated(tmp_path, meta):
    folder = tmp_path / "parquet"
    folder.mkdir(exist_ok=True)
    entry = CacheEntry.of(parse_hub_spec("hub:some/dataset"))
    entry.text_path.write_text("a phrase\n")
    entry.meta_path.write_text(json.dumps({"format": 1, "fingerprint": "hub", **meta}))
    text = entry.read()
    assert text is None or (isinstance(text.lines, int) and text.lines >= 0)


@pytest.mark.parametrize("raw", [b"", b"\x00" * 8, b"\xff" * 16, safetensors_bytes({}, b"")])
def test_known_bad_weight_files_are_one_line(tmp_path, raw):
    path = Path(tmp_path) / "w.safetensors"
    path.write_bytes(raw)
    with pytest.raises(TofyError):
        checkpoint.load_weights(path)
