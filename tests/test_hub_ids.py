"""hub: sources by Hub id (the loader stood in for), source specs and safe cache names,
and listing and clearing the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_helpers import fake_hub, lines_of, write_parquet

from tofy_core.data import hub
from tofy_core.data.hub import resolve_hub
from tofy_core.data.hub_cache import clear_cached, hub_cache_dir, list_cached
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.data.text import load_corpus
from tofy_core.errors import DataError

pytestmark = pytest.mark.usefixtures("hub_isolated")  # own homes, offline, cwd in tmp


# ---------------------------------------------------------------- Hub ids (loader mocked)


def test_a_hub_dataset_is_converted_once_then_served_offline(monkeypatch):
    calls = fake_hub(monkeypatch, {"text": ["from the hub", "second row"], "label": [0, 1]})
    first = resolve_hub("hub:someone/news")
    assert first.path.parent == hub_cache_dir().resolve()
    assert first.path.name == "hub-someone--news@train.txt"

    def offline(spec, work_dir):
        raise DataError("offline")

    monkeypatch.setattr(hub, "_load_rows", offline)
    second = resolve_hub("hub:someone/news")
    assert second.from_cache and lines_of(second) == ["from the hub", "second row"]
    assert calls == ["hub:someone/news@train"]


def test_without_network_a_hub_id_fails_fast_with_a_way_out(monkeypatch):
    import datasets

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)

    def no_route(*args, **kwargs):
        raise OSError("Network is unreachable")

    def never(*args, **kwargs):
        raise AssertionError("load_dataset must not be tried without a network")

    monkeypatch.setattr(hub.socket, "create_connection", no_route)
    monkeypatch.setattr(datasets, "load_dataset", never)
    with pytest.raises(DataError, match=r"could not be downloaded.*hub:\./folder"):
        resolve_hub("hub:tofy-tests/not-here")


def test_loader_errors_become_one_line_data_errors():
    def offline():
        raise ConnectionError("Couldn't reach 'x' on the Hub (OfflineModeIsEnabled)")

    def bad_split():
        raise ValueError("Unknown split \"tset\". Should be one of ['train', 'test'].")

    spec = parse_hub_spec("hub:x@tset")
    with pytest.raises(DataError, match="could not be downloaded"):
        hub._call_loader(spec, offline)
    with pytest.raises(DataError, match=r"Unknown split \"tset\"\. Should be one of"):
        hub._call_loader(spec, bad_split)


# ---------------------------------------------------------------- ids and file names


def test_only_the_hub_prefix_makes_a_source_a_dataset(loads):
    """A text file named like a Hub id, or with "hub" in its path, is read as text; the same
    folder name with `hub:` is read as parquet."""
    Path("ag_news").write_text("a plain text file\n", encoding="utf-8")
    Path("data").mkdir()
    Path("data/hub.txt").write_text("another plain phrase\n", encoding="utf-8")
    write_parquet(Path("folder/train.parquet"), {"text": ["from the parquet folder"]})
    assert load_corpus("ag_news").phrases == [["a", "plain", "text", "file"]]
    assert load_corpus("data/hub.txt").phrases == [["another", "plain", "phrase"]]
    with pytest.raises(DataError, match=r"folder is a folder: .* or hub:folder"):
        load_corpus("folder")
    assert loads == []
    assert load_corpus("hub:./folder").phrases == [["from", "the", "parquet", "folder"]]
    assert loads == [f"hub:{Path('folder').resolve()}@train"]


@pytest.mark.parametrize(
    ("source", "kind", "ident", "split", "key"),
    [
        ("hub:ag_news", "hub", "ag_news", "train", "hub-ag_news@train"),
        ("hub:owner/name@test", "hub", "owner/name", "test", "hub-owner--name@test"),
        ("hub:Org-1/data.v2@all", "hub", "Org-1/data.v2", "all", "hub-Org-1--data.v2@all"),
        ("owner/name", "hub", "owner/name", "train", "hub-owner--name@train"),
    ],
)
def test_hub_ids_become_safe_file_names(source, kind, ident, split, key):
    spec = parse_hub_spec(source)
    assert (spec.kind, spec.ident, spec.split, spec.key) == (kind, ident, split, key)


@pytest.mark.parametrize(
    "source",
    [
        "hub:",
        "hub:@train",
        "hub:a/b/c",
        "hub:owner/../etc",
        "hub:foo..bar",
        "hub:..hidden",
        "hub:a b",
        "hub:name;rm -rf",
        "hub:-dash",
        "hub:owner/-x",
        "hub:a--b",
        "hub:ag_news@../x",
        "hub:ag_news@..",
        "hub:ag_news@a/b",
        "hub:ag_news@",
        "hub:" + "x" * 200,
    ],
)
def test_odd_ids_and_splits_are_refused(source):
    with pytest.raises(DataError, match=r"invalid|empty|no dataset"):
        resolve_hub(source)


def test_folder_file_names_are_hashed_and_stay_in_the_cache(tmp_path):
    a = tmp_path / "x" / "data"
    b = tmp_path / "y" / "data"
    key_a = parse_hub_spec(f"hub:{a}").key
    key_b = parse_hub_spec(f"hub:{b}").key
    assert key_a != key_b and key_a.startswith("dir-data-") and "/" not in key_a
    odd = tmp_path / "we ird;$(name)"
    write_parquet(odd / "train.parquet", {"text": ["odd folder name"]})
    text = resolve_hub(f"hub:{odd}")
    assert text.path.parent == hub_cache_dir().resolve()
    assert text.path.name.startswith("dir-we_ird___name_-")


def test_an_existing_folder_is_read_even_without_dot_slash():
    write_parquet(Path("mydata/train.parquet"), {"text": ["plain folder name"]})
    spec = parse_hub_spec("hub:mydata")
    assert spec.kind == "folder" and spec.ident == str(Path("mydata").resolve())


def test_an_at_sign_inside_an_existing_folder_name_is_kept():
    write_parquet(Path("data@v2/train.parquet"), {"text": ["version two"]})
    spec = parse_hub_spec("hub:./data@v2")
    assert spec.ident.endswith("data@v2") and spec.split == "train"


# ---------------------------------------------------------------- listing and clearing


def test_list_and_clear_cached(split_folder):
    assert list_cached() == []
    resolve_hub("hub:./splits")
    resolve_hub("hub:./splits@test")
    entries = list_cached()
    assert [(e.split, e.lines, e.valid) for e in entries] == [("test", 1, True), ("train", 2, True)]
    assert all(e.size_bytes > 0 for e in entries)

    removed = clear_cached("./splits@test")
    assert not removed.exists() and not removed.with_suffix(".json").exists()
    assert [e.split for e in list_cached()] == ["train"]
    clear_cached("./splits")  # like hub:./splits, it means the train split
    assert list_cached() == []
    with pytest.raises(DataError, match="no cached dataset matches"):
        clear_cached("ag_news")


def test_clear_names_the_choices_when_a_source_has_several_splits(split_folder):
    resolve_hub("hub:./splits@test")
    resolve_hub("hub:./splits@all")
    with pytest.raises(DataError, match=r"matches several cached datasets: give one of hub:"):
        clear_cached("./splits")
    clear_cached(list_cached()[0].spec)
    assert len(list_cached()) == 1


def test_clear_by_hub_id_without_split(monkeypatch):
    fake_hub(monkeypatch, {"text": ["a line of text"]})
    resolve_hub("hub:someone/news@validation")
    removed = clear_cached("someone/news")
    assert removed.name == "hub-someone--news@validation.txt"


def test_a_torn_entry_is_listed_as_incomplete_and_can_be_cleared():
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})
    text = resolve_hub("hub:./c")
    text.path.write_text("fir", encoding="utf-8")
    [entry] = list_cached()
    assert not entry.valid
    clear_cached(entry.key)
    assert list_cached() == []
