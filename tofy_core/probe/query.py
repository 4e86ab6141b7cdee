"""The diff's plain data, pure: the query language (`PHRASE [=> ANSWER[, ANSWER…]]` parsed
with the model's tokenizer setting; the seed's rules for reading the phrase: tokens equal to an
answer leave it, a long phrase is windowed around the mask) and the results' types. No model,
no torch: the TUI checks a query as it is typed and renders results without loading torch."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

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
    """`PHRASE => ANSWER[, ANSWER…]` tokenized as training did; without `=> ANSWER` the query
    asks what fills the blank (no answers). Every malformed query is a QueryError with one line
    that says how to fix it."""
    text = text.strip()
    phrase, _, answer_side = text.partition(SEPARATOR)
    if SEPARATOR in answer_side:
        raise QueryError("more than one `=>`: use one, between the phrase and the answer")
    tokens, mask_index = _phrase_tokens(phrase, lowercase)
    answers = _answers(answer_side, lowercase) if answer_side.strip() else []
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


# --- results -------------------------------------------------------------------------------


@dataclass
class DiffResult:
    """One answer scored against the phrase. Only directions are compared (every loss term
    reads the prediction's direction alone), so there is no raw L2: its size means nothing."""

    answer: str
    answer_id: int
    cosine: float  # between the prediction and the answer's target row, -1…1
    l2_unit: float  # ‖p̂ − t̂‖ between the unit vectors: √(2 − 2·cos), 0…2
    rank: int  # 1 = the model's first choice among all real words (`LatentModel.word_scores`)
    words: int  # how many real words were ranked
    # With a word prior the rank is by cosine + prior; this is the rank by the cosine alone.
    # None: the model has no prior, and `rank` is by cosine.
    cosine_rank: int | None = None

    @property
    def percentile(self) -> float:
        """Share of the vocabulary ranked below the answer, 0…100 (100 = the nearest)."""
        return 100.0 * (self.words - self.rank) / max(1, self.words - 1)


@dataclass
class UnknownAnswer:
    """An answer not in the vocabulary, and words spelled like it."""

    answer: str
    close: list[str] = field(default_factory=list)

    def message(self) -> str:
        hint = f" (close: {', '.join(self.close)})" if self.close else ""
        return f"{self.answer!r} is not in the model's vocabulary{hint}"


@dataclass
class DiffAnswer:
    """A query's answer: how the phrase was read, the nearest words (the model's guesses), and
    every known answer scored (best first); unknown answers beside them."""

    query: str
    tokens: list[str]  # what was encoded, `<mask>` at `mask_index`
    mask_index: int
    neighbors: list[tuple[str, float]]  # top-k nearest real words with their cosines
    words: int
    results: list[DiffResult] = field(default_factory=list)
    unknown_answers: list[UnknownAnswer] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # phrase words not in the vocabulary
    removed: list[str] = field(default_factory=list)  # phrase tokens equal to an answer
    dropped_before: int = 0  # tokens cut off by windowing a phrase longer than max_seq
    dropped_after: int = 0
    no_context: bool = False  # every phrase word is unknown: the prediction ignores the text
    elapsed_ms: float = 0.0

    @property
    def is_guess(self) -> bool:
        """No answer was given: the nearest words are the whole answer."""
        return not self.results and not self.unknown_answers

    def notes(self) -> list[str]:
        """What the user should know about how the phrase was read, one sentence each."""
        found = [unknown.message() for unknown in self.unknown_answers]
        if self.removed:
            shown = ", ".join(sorted(set(self.removed)))
            found.append(f"removed from the phrase (equal to the answer): {shown}")
        if self.no_context:
            found.append("every word of the phrase is unknown to the model: it answers blind")
        elif self.unknown:
            found.append(f"unknown words (read as <unk>): {', '.join(self.unknown)}")
        if self.dropped_before or self.dropped_after:
            found.append(
                f"phrase longer than the model's window: {self.dropped_before} tokens dropped "
                f"before, {self.dropped_after} after"
            )
        return found

    def to_json(self) -> dict[str, Any]:
        """One JSON object: the shared reading of the phrase, then one entry per answer."""
        data = asdict(self)
        data["neighbors"] = [{"word": w, "cosine": c} for w, c in self.neighbors]
        data["elapsed_ms"] = round(self.elapsed_ms, 3)
        return data


def display_phrase(tokens: list[str], mask_index: int, mask: str = "_") -> str:
    """The encoded tokens as one line, the mask shown as `mask`."""
    return " ".join(mask if i == mask_index else t for i, t in enumerate(tokens))


@dataclass(frozen=True)
class TokenView:
    """A phrase token as the model will see it: `word`, `mask`, `unknown` (read as <unk>),
    `removed` (equal to an answer) or `outside` (beyond the window, dropped)."""

    text: str
    kind: str


def phrase_view(query: Query, known: Callable[[str], bool], max_seq: int) -> list[TokenView]:
    """The query's phrase token by token, marked the way `Prober` will read it: the same
    removal and windowing rules, so what the user sees before Enter is what gets encoded."""
    answers = [a for a in query.answers if known(a)]
    kept, mask_index, _ = strip_answers(query.tokens, query.mask_index, answers)
    _, _, before, _ = window(kept, mask_index, max_seq)
    inside = range(before, before + max_seq)
    views = []
    position = 0
    for i, token in enumerate(query.tokens):
        if i != query.mask_index and token in answers:
            views.append(TokenView(token, "removed"))
            continue
        if position not in inside:
            kind = "outside"
        elif i == query.mask_index:
            kind = "mask"
        else:
            kind = "word" if known(token) else "unknown"
        views.append(TokenView(token, kind))
        position += 1
    return views
