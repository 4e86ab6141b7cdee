"""Atomic writes: a reader sees the old file or the new one, never a torn one or a leftover."""

from __future__ import annotations

import json

import pytest

from tofy_core.fsutil import atomic_text_file, atomic_write_json, atomic_write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "run.json"
    atomic_write_json(target, {"step": 1})
    with pytest.raises(RuntimeError), atomic_text_file(target) as out:
        out.write('{"step": 2, "half')
        raise RuntimeError("disk on fire")
    assert json.loads(target.read_text(encoding="utf-8")) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_writes_create_the_folder_and_keep_line_ends_as_given(tmp_path):
    target = tmp_path / "new" / "vocab.txt"
    atomic_write_text(target, "<pad>\nword\n")
    assert target.read_bytes() == b"<pad>\nword\n"
