"""The diff's query language and the phrase as the screen shows it, with no model: queries
are read as training read text, and every malformed one is one clear message."""

from __future__ import annotations

import pytest

from tofy_core.errors import QueryError
from tofy_core.probe.query import MASK, parse_query, phrase_view, strip_answers, window


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
        ("how have you been lately => been", "no mask"),
        ("how have_you been => been", "touching a word"),
        ("how _ you _ lately => been", "2 masks"),
        ("   => been", "empty phrase"),
        ("_ => been", "only the mask"),
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


@pytest.mark.parametrize("text", ["how have you _ lately", "how have you _ lately =>   "])
def test_a_query_without_an_answer_asks_what_fills_the_blank(text):
    query = parse_query(text)
    assert query.answers == () and query.tokens[query.mask_index] == MASK


def kinds(text: str, known: set[str], max_seq: int = 16) -> list[tuple[str, str]]:
    return [(v.text, v.kind) for v in phrase_view(parse_query(text), known.__contains__, max_seq)]


def test_the_phrase_is_shown_as_the_model_will_read_it():
    known = {"how", "have", "you", "been", "lately"}
    assert kinds("how have zorp you _ been lately => been", known) == [
        ("how", "word"), ("have", "word"), ("zorp", "unknown"), ("you", "word"),
        (MASK, "mask"), ("been", "removed"), ("lately", "word"),
    ]  # fmt: skip
    # an unknown answer is not scored, so the phrase keeps its copy of it
    assert ("zorp", "unknown") in kinds("zorp _ you => zorp", known)
    shown = kinds(" ".join(["how"] * 10) + " _ you", known, max_seq=4)
    assert [k for _, k in shown].count("outside") == 8
    assert shown[-3:] == [("how", "word"), (MASK, "mask"), ("you", "word")]
