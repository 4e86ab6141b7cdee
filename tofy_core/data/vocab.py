"""The word vocabulary: specials first, then words by count (ties by text), capped.

The file format is the seed's: one token per line, the line number is the id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from tofy_core.config import SPECIAL_TOKENS
from tofy_core.errors import CheckpointError
from tofy_core.fsutil import atomic_write_text

PAD_ID, UNK_ID, MASK_ID = 0, 1, 2
FIRST_WORD_ID = len(SPECIAL_TOKENS)


def capped_vocab_size(words: int, max_vocab: int) -> int:
    """The size of the vocabulary built from `words` distinct words: the specials, then as
    many words as `max_vocab` leaves room for."""
    return FIRST_WORD_ID + min(words, max(0, max_vocab - FIRST_WORD_ID))


class Vocab:
    """Maps tokens to ids and back; unknown tokens map to `<unk>`."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[:FIRST_WORD_ID]) != SPECIAL_TOKENS:
            raise CheckpointError(
                f"vocabulary must start with {', '.join(SPECIAL_TOKENS)}: not a Tofy vocab file"
            )
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, phrases: Iterable[Sequence[str]], max_vocab: int) -> Vocab:
        counts = Counter(token for phrase in phrases for token in phrase)
        for special in SPECIAL_TOKENS:
            counts.pop(special, None)
        words = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = capped_vocab_size(len(words), max_vocab) - FIRST_WORD_ID
        return cls([*SPECIAL_TOKENS, *(word for word, _ in words[:kept])])

    @classmethod
    def load(cls, path: Path) -> Vocab:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CheckpointError(f"vocab file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"cannot read vocab file {path}: {exc}") from None
        vocab = cls.from_text(text)
        if len(vocab.index) != len(vocab.tokens):  # a word twice: ids no longer map back
            twice = next(t for t, n in Counter(vocab.tokens).items() if n > 1)
            raise CheckpointError(f"{path} lists {twice!r} twice: not a Tofy vocabulary")
        return vocab

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """A vocabulary file's text: one token per line, line number = id."""
        tokens = text.split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        return cls(tokens)

    def save(self, path: Path) -> None:
        atomic_write_text(path, "\n".join(self.tokens) + "\n")

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def id(self, token: str) -> int:
        return self.index.get(token, UNK_ID)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.index.get(token, UNK_ID) for token in tokens]

    def word_count(self) -> int:
        return len(self.tokens) - FIRST_WORD_ID

    def digest(self) -> str:
        """A short hash stored with the weights, to catch a vocab that does not match them."""
        import hashlib  # here: its OpenSSL load is not for the app's start-up

        return hashlib.sha256("\n".join(self.tokens).encode("utf-8")).hexdigest()[:16]
