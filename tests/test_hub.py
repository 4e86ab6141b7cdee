"""hub: sources: parquet folders and Hub ids become cached text, one phrase per line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tofy_core.data import hub
from tofy_core.data.hub import resolve_hub
from tofy_core.data.hub_cache import clear_cached, hub_cache_dir, list_cached
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.data.text import load_corpus
from tofy_core.errors import DataError


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> Path:
    """Own TOFY_HOME and Hugging Face home, offline, and a working folder to write data in."""
    monkeypatch.setenv("TOFY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Every call to the loader boundary, by spec: proves when the cache was used instead."""
    calls: list[str] = []
    real = hub._load_rows

    def counting(spec, work_dir):
        calls.append(spec.spec)
        return real(spec, work_dir)

    monkeypatch.setattr(hub, "_load_rows", counting)
    return calls


def write_parquet(path: Path, columns: dict, schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def lines_of(text) -> list[str]:
    return text.path.read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------- rows become lines


def test_string_column_gives_one_line_per_row_and_ignores_the_label():
    write_parquet(
        Path("news/train.parquet"),
        {
            "label": [0, 1, 2, 3, 4],
            "text": ["stocks rise today", "two\nlines\r\nhere", "a\ttab", None, "   "],
        },
    )
    text = resolve_hub("hub:./news")
    assert lines_of(text) == ["stocks rise today", "two lines  here", "a tab"]
    assert (text.lines, text.rows, text.skipped, text.from_cache) == (3, 5, 2, False)


def test_a_cell_never_splits_into_a_pair_or_a_second_line():
    write_parquet(Path("d/x.parquet"), {"text": ["left|||right side", "nul\x00and\u2028sep"]})
    assert lines_of(resolve_hub("hub:./d")) == ["left| | |right side", "nul and sep"]


def test_dialog_column_gives_one_line_per_turn():
    write_parquet(
        Path("dialog/train.parquet"),
        {"dialog": [["hi there", "hello you"], ["how are you", "", "fine thanks"], []]},
    )
    text = resolve_hub("hub:./dialog")
    assert lines_of(text) == ["hi there", "hello you", "how are you", "fine thanks"]
    assert text.skipped == 1  # the empty dialog


def test_string_column_wins_over_a_dialog_and_the_dialog_fills_its_gaps():
    write_parquet(
        Path("both/train.parquet"),
        {
            "turns": [["not used"], ["used turn one", "used turn two"]],
            "title": ["the title", None],
        },
    )
    assert lines_of(resolve_hub("hub:./both")) == ["the title", "used turn one", "used turn two"]


def test_large_string_columns_are_text_too():
    schema = pa.schema([("id", pa.int32()), ("body", pa.large_string())])
    write_parquet(Path("big/train.parquet"), {"id": [1], "body": ["large strings work"]}, schema)
    assert lines_of(resolve_hub("hub:./big")) == ["large strings work"]


def test_cells_over_50000_bytes_are_skipped_counting_bytes_not_characters():
    fits = "é" * 20_000  # 40,000 bytes
    too_big = "é" * 30_000  # 60,000 bytes in 30,000 characters
    write_parquet(Path("long/train.parquet"), {"text": ["short one", too_big, fits, "x" * 50_001]})
    text = resolve_hub("hub:./long")
    assert lines_of(text) == ["short one", fits]
    assert text.skipped == 2


def test_a_table_without_text_names_the_columns_it_has():
    write_parquet(Path("nums/train.parquet"), {"label": [1, 2], "score": [0.5, 0.7]})
    with pytest.raises(DataError, match=r"no text column.*label \(int64\), score \(double\)"):
        resolve_hub("hub:./nums")
    assert list_cached() == []


def test_only_blank_text_is_an_error_and_leaves_no_cache():
    write_parquet(Path("blank/train.parquet"), {"text": ["", "  ", None]})
    with pytest.raises(DataError, match="gave no text lines: 3 rows read, 3 empty"):
        resolve_hub("hub:./blank")
    assert list_cached() == []


def test_progress_reports_rows_and_ends_at_the_total():
    write_parquet(Path("p/train.parquet"), {"text": [f"row {i}" for i in range(2500)]})
    seen: list[tuple[int, int | None]] = []
    resolve_hub("hub:./p", progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2500)
    assert seen[-1] == (2500, 2500)


# ---------------------------------------------------------------- splits


@pytest.fixture
def split_folder() -> Path:
    folder = Path("splits")
    write_parquet(folder / "data" / "train-00000-of-00002.parquet", {"text": ["train one a"]})
    write_parquet(folder / "data" / "train-00001-of-00002.parquet", {"text": ["train two b"]})
    write_parquet(folder / "test.parquet", {"text": ["test only c"], "label": [1]})
    write_parquet(folder / "dev" / "part.parquet", {"dialog": [["dev turn d"]]})
    return folder


def test_default_split_is_train(split_folder):
    assert lines_of(resolve_hub("hub:./splits")) == ["train one a", "train two b"]


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [("@test", ["test only c"]), ("@validation", ["dev turn d"]), ("@dev", ["dev turn d"])],
)
def test_a_split_is_chosen_by_file_or_folder_name(split_folder, suffix, expected):
    assert lines_of(resolve_hub(f"hub:./splits{suffix}")) == expected


def test_a_split_asked_separately_must_agree_with_the_source():
    assert parse_hub_spec("hub:owner/name", split="test").split == "test"
    assert parse_hub_spec("hub:owner/name@test", split="test").split == "test"
    with pytest.raises(DataError, match="names split 'test' but 'train' was asked"):
        parse_hub_spec("hub:owner/name@test", split="train")
    with pytest.raises(DataError, match="invalid split"):
        parse_hub_spec("hub:owner/name", split="../up")


def test_split_aliases_share_one_cache_entry(split_folder):
    assert resolve_hub("hub:./splits@dev").path == resolve_hub("hub:./splits@validation").path
    assert len(list_cached()) == 1


def test_all_reads_every_split_even_with_different_columns(split_folder):
    text = resolve_hub("hub:./splits@all")
    assert sorted(lines_of(text)) == ["dev turn d", "test only c", "train one a", "train two b"]


def test_a_missing_split_names_the_ones_there(split_folder):
    with pytest.raises(DataError, match=r"no 'extra' split; it has: test, train, validation"):
        resolve_hub("hub:./splits@extra")


def test_a_folder_without_parquet_files_is_refused(tmp_path):
    Path("empty").mkdir()
    with pytest.raises(DataError, match=r"holds no \.parquet files"):
        resolve_hub("hub:./empty")
    with pytest.raises(DataError, match="does not exist"):
        resolve_hub("hub:./nowhere")


def test_a_corrupt_parquet_file_is_one_clear_error():
    Path("broken").mkdir()
    Path("broken/train.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"could not load hub:.*broken@train: .*[Pp]arquet"):
        resolve_hub("hub:./broken")


# ---------------------------------------------------------------- the cache


def test_second_call_reads_the_cache_without_loading(loads):
    write_parquet(Path("c/train.parquet"), {"text": ["first line", "second line"]})
    first = resolve_hub("hub:./c")
    second = resolve_hub("hub:./c")
    assert loads == [first.spec]
    assert second.from_cache and not first.from_cache
    assert (second.path, second.lines) == (first.path, 2)


def test_refresh_rebuilds(loads):
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})
    resolve_hub("hub:./c")
    assert not resolve_hub("hub:./c", refresh=True).from_cache
    assert len(loads) == 2


def test_changed_parquet_files_invalidate_the_cache(loads):
    write_parquet(Path("c/train.parquet"), {"text": ["old line"]})
    resolve_hub("hub:./c")
    write_parquet(Path("c/train.parquet"), {"text": ["new line here", "and another"]})
    text = resolve_hub("hub:./c")
    assert lines_of(text) == ["new line here", "and another"]
    assert not text.from_cache and len(loads) == 2


def test_a_torn_cache_file_is_never_used(loads):
    write_parquet(Path("c/train.parquet"), {"text": ["first line", "second line"]})
    text = resolve_hub("hub:./c")
    text.path.write_text("first li", encoding="utf-8")  # as if a write stopped half way
    again = resolve_hub("hub:./c")
    assert not again.from_cache
    assert lines_of(again) == ["first line", "second line"]


def test_a_missing_sidecar_means_no_cache(loads):
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})
    text = resolve_hub("hub:./c")
    text.path.with_suffix(".json").unlink()
    assert not resolve_hub("hub:./c").from_cache


def test_a_crash_while_converting_leaves_no_cache_file(monkeypatch):
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})

    def crash(*args, **kwargs):
        yield "partial line"
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(hub, "_part_lines", crash)
    with pytest.raises(RuntimeError):
        resolve_hub("hub:./c")
    assert sorted(p.name for p in hub_cache_dir().iterdir()) == []


def test_conversion_leaves_no_scratch_files():
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})
    resolve_hub("hub:./c")
    work = Path("home/cache/work")
    assert not work.exists() or list(work.iterdir()) == []


def test_the_sidecar_describes_the_source():
    write_parquet(Path("c/train.parquet"), {"text": ["first line"]})
    text = resolve_hub("hub:./c")
    meta = json.loads(text.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["source"] == str(Path("c").resolve())
    assert (meta["split"], meta["lines"], meta["kind"]) == ("train", 1, "folder")
    assert meta["bytes"] == text.path.stat().st_size
    assert meta["created"]


# ---------------------------------------------------------------- Hub ids (loader mocked)


def fake_hub(monkeypatch, rows: dict) -> list[str]:
    """Stand in for the Hub at the loader boundary; record each load."""
    import datasets

    calls: list[str] = []

    def load(spec, work_dir):
        calls.append(spec.spec)
        return [datasets.Dataset.from_dict(rows)]

    monkeypatch.setattr(hub, "_load_rows", load)
    return calls


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
