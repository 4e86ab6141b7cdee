"""What training and evaluation read of one corpus: the vocabulary, the training rows, the
scored held-out rows and the counts a user needs to judge the split. Torch-free to import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tofy_core.data.flat_table import FlatTable
    from tofy_core.data.masking import TokenTable
    from tofy_core.data.text import Corpus
    from tofy_core.data.token_cache import Lookup
    from tofy_core.data.vocab import Vocab


@dataclass
class CorpusInfo:
    """Where a run's text came from and how its tokens were found: `from_cache` is a `hub:`
    dataset's text cache, `tokens` the token cache lookup."""

    source: str
    path: Path
    skipped: int
    from_cache: bool
    tokens: Lookup

    @property
    def data_bytes(self) -> int:
        return self.tokens.entry.manifest["data_bytes"]

    @property
    def data_sha256(self) -> str:
        return self.tokens.entry.manifest["data_sha256"]


@dataclass
class TrainingData:
    """Vocabulary and pre-tokenized tables of one corpus, split into train and held-out."""

    corpus: Corpus | CorpusInfo
    vocab: Vocab
    train_table: TokenTable | FlatTable
    eval_table: TokenTable
    duplicates: int = 0
    train_phrases: int = 0
    heldout_phrases: int = 0
    eval_phrases: int = 0

    def sizes(self) -> dict[str, int]:
        """The counts a user needs to judge the data (carried by the `start` event)."""
        return {
            "phrases": self.train_phrases + self.heldout_phrases,
            "duplicates": self.duplicates,
            "skipped_lines": self.corpus.skipped,
            "train_phrases": self.train_phrases,
            "heldout_phrases": self.heldout_phrases,
            "eval_phrases": self.eval_phrases,
            "train_rows": len(self.train_table),
            "eval_rows": len(self.eval_table),
            "vocab": len(self.vocab),
        }
