"""`prepare`: question/answer columns become the seed's `question<TAB>answer` lines."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tofy_core.data.prepare import PrepareOptions, Skip, pair_line, prepare_pairs
from tofy_core.errors import ConfigError, DataError

QUESTIONS = [
    "How are you?",
    "  What\tis up  ",
    "",
    "Tell me more",
    "Hi",
    "Where do you live?",
    None,
    "Two\nlines",
]
ANSWERS = [
    "I am fine, thanks.",
    "Not\tmuch really",
    "Nothing here",
    None,
    "Hello there",
    "In Paris",
    "An answer",
    "Joined  up",
]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TOFY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def chat() -> Path:
    folder = Path("chat")
    folder.mkdir()
    table = pa.table({"Unnamed: 0": list(range(8)), "question": QUESTIONS, "answer": ANSWERS})
    pq.write_table(table, folder / "train-00000-of-00001.parquet")
    test = pa.table({"question": ["test side q"], "answer": ["test side a"]})
    pq.write_table(test, folder / "test.parquet")
    return folder


def seed_reference(options: PrepareOptions) -> list[str]:
    """The seed script's rules, restated: strip, tabs to spaces, skip empty, lowercase, count
    words, stop at the cap. (It left line breaks in; rows here that have one are left out.)"""
    out = []
    for question, answer in zip(QUESTIONS, ANSWERS, strict=True):
        left = (question or "").strip().replace("\t", " ")
        right = (answer or "").strip().replace("\t", " ")
        if "\n" in left or not left or not right:
            continue
        if options.lowercase:
            left, right = left.lower(), right.lower()
        if min(len(left.split()), len(right.split())) < options.min_tokens:
            continue
        out.append(f"{left}\t{right}")
        if options.max_pairs is not None and len(out) >= options.max_pairs:
            break
    return out


def written(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "options",
    [PrepareOptions(), PrepareOptions(lowercase=True), PrepareOptions(min_tokens=3)],
    ids=["defaults", "lower", "min3"],
)
def test_output_matches_the_seed_script(chat, options):
    result = prepare_pairs("hub:./chat", Path("out/pairs.txt"), options)
    lines = written(Path("out/pairs.txt"))
    unbroken = [line for line in lines if not line.lower().startswith("two lines")]
    assert unbroken == seed_reference(options)
    assert result.written == len(lines)


def test_counts_say_why_rows_were_skipped(chat):
    result = prepare_pairs("./chat", Path("pairs.txt"))
    assert written(Path("pairs.txt")) == [
        "How are you?\tI am fine, thanks.",
        "What is up\tNot much really",
        "Where do you live?\tIn Paris",
        "Two lines\tJoined  up",
    ]
    assert (result.rows, result.written, result.skipped_empty, result.skipped_short) == (8, 4, 3, 1)
    assert result.skipped == 4 and not result.reached_max
    assert result.spec.endswith("chat@train")


def test_max_pairs_stops_early(chat):
    result = prepare_pairs("./chat", Path("pairs.txt"), PrepareOptions(max_pairs=2))
    assert written(Path("pairs.txt")) == seed_reference(PrepareOptions(max_pairs=2))
    assert result.written == 2 and result.reached_max and result.rows == 2


def test_split_and_column_choice(chat):
    options = PrepareOptions(split="test", question_col="answer", answer_col="question")
    prepare_pairs("hub:./chat", Path("pairs.txt"), options)
    assert written(Path("pairs.txt")) == ["test side a\ttest side q"]
    prepare_pairs("hub:./chat@test", Path("pairs.txt"), PrepareOptions(overwrite=True))
    assert written(Path("pairs.txt")) == ["test side q\ttest side a"]


def test_a_split_given_twice_must_agree(chat):
    with pytest.raises(DataError, match="names split 'test' but 'train' was asked"):
        prepare_pairs("hub:./chat@test", Path("pairs.txt"), PrepareOptions(split="train"))
    prepare_pairs("hub:./chat@test", Path("pairs.txt"), PrepareOptions(split="test"))
    assert written(Path("pairs.txt")) == ["test side q\ttest side a"]


def test_a_missing_column_names_the_columns_there(chat):
    with pytest.raises(DataError, match=r"no question column 'prompt'; its columns: Unnamed: 0"):
        prepare_pairs("./chat", Path("pairs.txt"), PrepareOptions(question_col="prompt"))
    assert not Path("pairs.txt").exists()


def test_nothing_kept_writes_nothing_and_keeps_an_old_file(chat):
    Path("pairs.txt").write_text("old\tcontent\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no pair kept out of 8 rows \(3 with an empty side"):
        prepare_pairs("./chat", Path("pairs.txt"), PrepareOptions(min_tokens=50, overwrite=True))
    assert written(Path("pairs.txt")) == ["old\tcontent"]
    assert [p.name for p in Path().iterdir() if p.name.startswith(".pairs")] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (PrepareOptions(min_tokens=-1), "--min-tokens"),
        (PrepareOptions(max_pairs=0), "--max-pairs"),
    ],
)
def test_bad_options_are_refused(chat, options, message):
    with pytest.raises(ConfigError, match=message):
        prepare_pairs("./chat", Path("pairs.txt"), options)


def test_output_must_be_a_file(chat):
    with pytest.raises(ConfigError, match="is a folder"):
        prepare_pairs("./chat", Path("chat"))


def test_pair_line_rules():
    options = PrepareOptions()
    assert pair_line(" a b\t", "c\r\nd ", options) == "a b\tc  d"
    assert pair_line("a b", "", options) is Skip.EMPTY
    assert pair_line(None, "c d", options) is Skip.EMPTY
    assert pair_line("a", "c d", options) is Skip.SHORT
    assert pair_line(12, "c d", PrepareOptions(min_tokens=1)) == "12\tc d"
