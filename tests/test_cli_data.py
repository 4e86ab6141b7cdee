"""The data commands as a user runs them: `python -m tofy_core prepare|datasets|train hub:…`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tofy_core.cli.console import ProgressPrinter
from tofy_core.cli.data import datasets_table
from tofy_core.data.hub_cache import CachedDataset

REPO = Path(__file__).resolve().parents[1]
TINY_MODEL = ("--steps", "3", "--dim", "16", "--layers", "1", "--heads", "2", "--batch", "4")
PHRASES = [
    "how have you been lately",
    "we went to the park on sunday",
    "she likes to read books at night",
    "the weather is nice today",
    "do you want to get coffee later",
    "i am going to the store now",
    "my brother plays guitar every day",
    "what did you eat for dinner",
    "we watched a movie last night",
    "the dog is sleeping on the couch",
    "can you call me tomorrow morning",
    "they are moving to a new city",
]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A child environment: own TOFY_HOME and Hugging Face home, strictly offline."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TOFY_HOME": str(tmp_path / "home"),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }


def tofy(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tofy_core", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def said(done: subprocess.CompletedProcess[str], tmp_path: Path) -> str:
    """Everything a command printed, lowercased, without the test's own folder names."""
    return (done.stdout + done.stderr).replace(str(tmp_path), "<tmp>").lower()


@pytest.fixture
def chat(tmp_path) -> Path:
    folder = tmp_path / "chat"
    folder.mkdir()
    questions = [*PHRASES, "", "hi"]
    answers = [f"answer number {i}" for i in range(len(PHRASES))] + ["no question", "hello there"]
    labels = list(range(len(questions)))
    table = pa.table({"label": labels, "question": questions, "answer": answers})
    pq.write_table(table, folder / "train.parquet")
    return folder


def test_prepare_writes_pairs_and_says_what_it_skipped(env, tmp_path, chat):
    done = tofy(env, tmp_path, "prepare", "hub:./chat", "-o", "pairs.txt", "--max-pairs", "99")
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "pairs.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "how have you been lately\tanswer number 0"
    assert len(lines) == len(PHRASES)
    assert f"wrote {len(PHRASES)} pairs" in done.stdout
    assert "skipped 2: 1 with an empty side, 1 with fewer than 2 words" in done.stdout
    assert "rows" in done.stderr  # progress, as plain lines when piped
    assert "\r" not in done.stderr


def test_prepare_with_a_wrong_column_is_one_error_line(env, tmp_path, chat):
    done = tofy(env, tmp_path, "prepare", "./chat", "-o", "p.txt", "--question-col", "prompt")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("error: ")
    assert "its columns: label, question, answer" in done.stderr


def test_prepare_and_datasets_have_helpful_help(env, tmp_path):
    for command in ("prepare", "datasets"):
        done = tofy(env, tmp_path, command, "--help")
        assert done.returncode == 0 and "examples:" in done.stdout


def test_train_twice_on_a_parquet_folder_uses_the_cache_the_second_time(env, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    table = pa.table({"id": list(range(len(PHRASES))), "text": PHRASES})
    pq.write_table(table, folder / "a.parquet")
    first = tofy(env, tmp_path, "train", "hub:./corpus", *TINY_MODEL)
    assert first.returncode == 0, first.stderr
    assert "using cached dataset" not in said(first, tmp_path)
    assert "tokenized into the token cache" in said(first, tmp_path)
    second = tofy(env, tmp_path, "train", "hub:./corpus", *TINY_MODEL)
    assert second.returncode == 0, second.stderr
    assert "using cached dataset" in said(second, tmp_path)
    assert "tokens: cached" in said(second, tmp_path)

    listed = tofy(env, tmp_path, "datasets")
    assert listed.returncode == 0
    assert f"{folder}@train" in listed.stdout and f"  {len(PHRASES)}  " in listed.stdout
    cleared = tofy(env, tmp_path, "datasets", "--clear", "./corpus")
    assert cleared.returncode == 0 and "removed cached dataset" in cleared.stdout
    assert "no cached datasets" in tofy(env, tmp_path, "datasets").stdout


def test_an_uncached_hub_dataset_offline_is_one_clear_line(env, tmp_path):
    done = tofy(env, tmp_path, "prepare", "hub:tofy-tests/not-cached", "-o", "pairs.txt")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "could not be downloaded" in done.stderr and "hub:./folder" in done.stderr


def test_clearing_an_unknown_dataset_is_an_error(env, tmp_path):
    done = tofy(env, tmp_path, "datasets", "--clear", "ag_news")
    assert done.returncode == 2 and "no cached dataset matches 'ag_news'" in done.stderr


# ---------------------------------------------------------------- printing helpers


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal():
    stream = FakeTerminal()
    printer = ProgressPrinter("converting", stream)
    printer(0, 200)
    printer(100, 200)
    printer(200, 200)
    printer.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("converting: 200/200 rows (100%)\x1b[K\n")


def test_progress_prints_plain_lines_when_piped():
    stream = io.StringIO()
    printer = ProgressPrinter("converting", stream)
    printer(0, 200)
    printer(100, 200)
    printer(200, 200)
    printer.close()
    assert stream.getvalue() == "converting: 200/200 rows (100%)\n"


def test_an_empty_cache_says_how_to_fill_it(tmp_path):
    assert "tofy train hub:<id>" in datasets_table([], tmp_path)


def test_the_datasets_table_gives_sizes_in_binary_units_right_aligned(tmp_path):
    sizes = (12, 2048, 5 * 1024**2, 3 * 1024**3)
    entries = [
        CachedDataset(
            key=f"set{i}",
            spec=f"hub:set{i}",
            split="train",
            lines=size // 8,
            size_bytes=size,
            created="2026-01-01 00:00",
            path=tmp_path / f"set{i}.txt",
            valid=True,
        )
        for i, size in enumerate(sizes)
    ]
    header, *rows, cache = datasets_table(entries, tmp_path).splitlines()
    end = header.index("SIZE") + len("SIZE")
    assert [row[:end].split("  ")[-1].strip() for row in rows] == [
        "12 B",
        "2.0 KiB",
        "5.0 MiB",
        "3.0 GiB",
    ]
    assert all(row[end - 1] != " " for row in rows)  # right-aligned under SIZE
    assert cache == f"cache: {tmp_path}"


def test_prepare_keeps_an_existing_output_unless_forced(env, tmp_path, chat):
    kept = tmp_path / "pairs.txt"
    kept.write_text("my own notes\n", encoding="utf-8")
    done = tofy(env, tmp_path, "prepare", "hub:./chat", "-o", "pairs.txt")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--force" in done.stderr
    assert kept.read_text(encoding="utf-8") == "my own notes\n"
    done = tofy(env, tmp_path, "prepare", "hub:./chat", "-o", "pairs.txt", "--force")
    assert done.returncode == 0, done.stderr
    assert kept.read_text(encoding="utf-8").startswith("how have you been lately\t")
