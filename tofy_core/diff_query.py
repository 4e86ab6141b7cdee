"""The diff's query language, pure: `PHRASE => ANSWER[, ANSWER…]` parsed with the model's
tokenizer setting, and the seed's rules for reading the phrase (tokens equal to an answer
leave it; a long phrase is windowed around the mask). No model, no torch: the TUI and the
CLI can check a query as it is typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tofy_core.data.text import tokenize
from tofy_core.errors import QueryError

SEPARATOR = "=>"
MASK = "<mask>"
EXAMPLE = "so how have you _ lately? => been"
# `_` (or a run of them) not glued to a word, or `[MASK]` in any case.
_MASK_MARK = re.compile(r"(?<![^\W_])_+(?![^\W_])|\[mask\]", re.IGNORECASE | re.UNICODE)
_GLUED_UNDERSCORE = re.compile(r"[^\W_]_|_[^\W_]", re.UNICODE)
_QUOTE_PAIRS = (("`", "`"), ('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"))


@dataclass(frozen=True)
class Query:
    """A parsed query: the phrase's tokens with `<mask>` at `mask_index`, and the answers."""

    text: str
    tokens: tuple[str, ...]
    mask_index: int
    answers: tuple[str, ...]


def parse_query(text: str, lowercase: bool = True) -> Query:
    """`PHRASE => ANSWER[, ANSWER…]` tokenized as training did; every malformed query is a
    QueryError with one line that says how to fix it."""
    text = text.strip()
    if SEPARATOR not in text:
        raise QueryError(f"no `=>`: write the phrase, then `=>`, then the answer, e.g. `{EXAMPLE}`")
    phrase, _, answer_side = text.partition(SEPARATOR)
    if SEPARATOR in answer_side:
        raise QueryError("more than one `=>`: use one, between the phrase and the answer")
    tokens, mask_index = _phrase_tokens(phrase, lowercase)
    answers = _answers(answer_side, lowercase)
    return Query(text, tuple(tokens), mask_index, tuple(answers))


def _phrase_tokens(phrase: str, lowercase: bool) -> tuple[list[str], int]:
    if not phrase.strip():
        raise QueryError(f"empty phrase: put the words before `=>`, e.g. `{EXAMPLE}`")
    marks = list(_MASK_MARK.finditer(phrase))
    if not marks:
        hint = ""
        if _GLUED_UNDERSCORE.search(phrase):
            hint = " (a `_` touching a word is not a mask: put spaces around it)"
        raise QueryError(f"no mask in the phrase: mark the missing word with _ or [MASK]{hint}")
    if len(marks) > 1:
        raise QueryError(
            f"the phrase has {len(marks)} masks: mark exactly one missing word with _ or [MASK]"
        )
    mark = marks[0]
    before = tokenize(phrase[: mark.start()], lowercase)
    after = tokenize(phrase[mark.end() :], lowercase)
    if not before and not after:
        raise QueryError("the phrase is only the mask: add the words around it")
    return [*before, MASK, *after], len(before)


def _answers(side: str, lowercase: bool) -> list[str]:
    side = side.strip()
    if not side:
        raise QueryError(f"empty answer: put the word to score after `=>`, e.g. `{EXAMPLE}`")
    whole = tokenize(_unquote(side), lowercase)
    parts = [side] if len(whole) == 1 else [p for p in side.split(",") if p.strip()]
    if not parts:
        raise QueryError("empty answer: put the word to score after `=>`")
    answers: list[str] = []
    for part in parts:
        raw = part.strip()
        tokens = tokenize(_unquote(raw), lowercase)
        if len(tokens) != 1:
            raise QueryError(
                f"the answer must be one word, but {raw!r} is {len(tokens)} tokens "
                f"({' '.join(tokens)}): to score several words, separate them with commas"
            )
        if tokens[0] not in answers:
            answers.append(tokens[0])
    return answers


def _unquote(word: str) -> str:
    """`been`, "been" or 'been' → been (the seed stripped backticks); a lone quote stays."""
    for left, right in _QUOTE_PAIRS:
        if len(word) > 2 and word.startswith(left) and word.endswith(right):
            return word[1:-1].strip()
    return word


def strip_answers(
    tokens: tuple[str, ...] | list[str], mask_index: int, answers: tuple[str, ...] | list[str]
) -> tuple[list[str], int, list[str]]:
    """The seed's rule: tokens equal to an answer leave the phrase, so the context matches
    training (where the word stood only at the mask). Returns tokens, mask index, removed."""
    kept: list[str] = []
    removed: list[str] = []
    new_mask = -1
    for i, token in enumerate(tokens):
        if i == mask_index:
            new_mask = len(kept)
            kept.append(token)
        elif token in answers:
            removed.append(token)
        else:
            kept.append(token)
    return kept, new_mask, removed


def window(tokens: list[str], mask_index: int, max_seq: int) -> tuple[list[str], int, int, int]:
    """At most `max_seq` tokens centred on the mask. Returns tokens, mask index, and how many
    tokens were dropped before and after."""
    if len(tokens) <= max_seq:
        return list(tokens), mask_index, 0, 0
    start = min(max(mask_index - max_seq // 2, 0), len(tokens) - max_seq)
    end = start + max_seq
    return list(tokens[start:end]), mask_index - start, start, len(tokens) - end
