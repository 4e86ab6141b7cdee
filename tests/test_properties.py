"""Any input, only our own errors: the tokenizer, the data reader, the diff query parser,
config validation and every reader of a file from disk either succeed or raise a TofyError
(one line for the user), never a Python traceback. Hypothesis writes the inputs."""

from __future__ import annotations

import contextlib
import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tofy_core.config import RunConfig
from tofy_core.data.hub_cache import CacheEntry
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.data.text import read_phrase_lines, tokenize
from tofy_core.data.vocab import Vocab
from tofy_core.errors import TofyError
from tofy_core.probe.query import parse_query
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.events import read_events
from tofy_core.runs.files import check_safetensors_header

FEW = settings(
    max_examples=60,
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
def test_the_tokenizer_takes_any_text(text):
    tokens = tokenize(text)
    assert all(isinstance(t, str) and t and not t.isspace() for t in tokens)


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


@FEW
@given(st.text(max_size=80) | st.builds(lambda a, b: f"{a} _ {b} => {b}", st.text(), st.text()))
def test_the_query_parser_takes_any_text(text):
    try:
        query = parse_query(text)
    except TofyError:
        return
    assert query is not None


@FEW
@given(st.text(max_size=40))
def test_hub_specs_take_any_text(text):
    with contextlib.suppress(TofyError):
        parse_hub_spec("hub:" + text)


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
    for read in (checkpoint.load_weights, checkpoint.read_state, check_safetensors_header):
        with contextlib.suppress(TofyError):
            read(path)


@FEW
@given(st.lists(st.text(max_size=6), max_size=6))
def test_vocab_files_are_validated(tmp_path, tokens):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["<pad>", "<unk>", "<mask>", *tokens][: len(tokens)]) + "\n")
    with contextlib.suppress(TofyError):
        Vocab.load(path)


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
        if event["event"] == "eval":
            assert all(isinstance(event[k], int | float) for k in ("top1", "top10", "mean_rank"))


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
