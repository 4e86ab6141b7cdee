"""hub: sources: parquet folders and Hub ids become cached text, one phrase per line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hub_helpers import lines_of, write_parquet

from tofy_core.data import hub
from tofy_core.data.hub import resolve_hub
from tofy_core.data.hub_cache import hub_cache_dir, list_cached
from tofy_core.data.hub_spec import parse_hub_spec
from tofy_core.errors import DataError

pytestmark = pytest.mark.usefixtures("hub_isolated")  # own homes, offline, cwd in tmp


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


def test_a_sidecar_of_the_wrong_shape_is_rebuilt_not_trusted(loads):
    write_parquet(Path("w/train.parquet"), {"text": ["a line of text"]})
    text = resolve_hub("hub:./w")
    meta = json.loads(text.path.with_suffix(".json").read_text())
    text.path.with_suffix(".json").write_text(json.dumps({**meta, "lines": "abc"}))
    again = resolve_hub("hub:./w")
    assert not again.from_cache and lines_of(again) == ["a line of text"]
    assert [entry.lines for entry in list_cached()] == [1]


def test_the_filesystem_root_is_not_a_dataset_folder():
    with pytest.raises(DataError, match="not a dataset folder"):
        resolve_hub("hub:/")
