"""Probing a trained model: `PHRASE => ANSWER` → how close the predicted embedding at the mask
is to the answer's row of the target table, the answer's rank among all real words, and the
nearest words.

Queries are parsed by `diff_query` (pure, no model); `Prober` loads a model once (run id, run
folder or `.safetensors` file + vocab) and answers queries in milliseconds. Results are
`DiffResult`s of plain values, for the CLI and the TUI to render."""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from tofy_core import checkpoint, runs
from tofy_core.config import ModelConfig
from tofy_core.data.vocab import FIRST_WORD_ID, MASK_ID, UNK_ID, Vocab
from tofy_core.diff_query import Query, parse_query, strip_answers, window
from tofy_core.errors import CheckpointError, ConfigError, QueryError
from tofy_core.seed_format import SEED_MODEL_FILE, SEED_VOCAB_FILE, vocab_beside

DEFAULT_TOP_K = 5


# --- results -------------------------------------------------------------------------------


@dataclass
class DiffResult:
    """One answer scored against one phrase; plain values only."""

    query: str
    answer: str
    answer_id: int
    cosine: float  # between the prediction and the answer's target row
    l2_unit: float  # ‖p̂ − t̂‖ between the unit vectors: √(2 − 2·cos), 0…2
    l2: float  # ‖p − t‖ between the raw vectors
    rank: int  # 1 = the nearest of all real words
    words: int  # how many real words were ranked
    neighbors: list[tuple[str, float]]  # top-k nearest real words with their cosines
    tokens: list[str]  # what was encoded, `<mask>` at `mask_index`
    mask_index: int
    unknown: list[str] = field(default_factory=list)  # phrase words not in the vocabulary
    removed: list[str] = field(default_factory=list)  # phrase tokens equal to an answer
    dropped_before: int = 0  # tokens cut off by windowing a phrase longer than max_seq
    dropped_after: int = 0
    no_context: bool = False  # every phrase word is unknown: the prediction ignores the text
    elapsed_ms: float = 0.0

    def notes(self) -> list[str]:
        """What the user should know about how the phrase was read, one sentence each."""
        found = []
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
        data = asdict(self)
        data["neighbors"] = [{"word": w, "cosine": c} for w, c in self.neighbors]
        return data


def results_json(text: str, results: list[DiffResult]) -> dict[str, Any]:
    """One JSON object per query: the shared reading of the phrase, then one entry per answer
    (best first)."""
    first = results[0]
    shared = ("tokens", "mask_index", "unknown", "removed", "dropped_before", "dropped_after")
    return {
        "query": text,
        **{key: getattr(first, key) for key in shared},
        "no_context": first.no_context,
        "elapsed_ms": round(first.elapsed_ms, 3),
        "results": [
            {
                key: value
                for key, value in r.to_json().items()
                if key not in {*shared, "query", "no_context", "elapsed_ms"}
            }
            for r in results
        ],
    }


def display_phrase(tokens: list[str], mask_index: int, mask: str = "_") -> str:
    """The encoded tokens as one line, the mask shown as `mask`."""
    return " ".join(mask if i == mask_index else t for i, t in enumerate(tokens))


# --- the model -----------------------------------------------------------------------------


@dataclass
class ModelSource:
    """Where a model's files are and what to call it."""

    weights: Path
    vocab: Path
    label: str
    run: runs.RunInfo | None = None


def resolve_model(ref: str, vocab: str | Path | None = None) -> ModelSource:
    """A run id (or unique prefix, or name), a run folder, or a `.safetensors` file; the vocab
    is `--vocab`, else the file saved beside the weights."""
    path = Path(ref).expanduser()
    given_vocab = Path(vocab).expanduser() if vocab else None
    if path.is_file():
        found = given_vocab or vocab_beside(path)
        if found is None:
            raise CheckpointError(
                f"no vocabulary found beside {path}: pass --vocab FILE "
                f"(the run's {runs.VOCAB_FILE} or the seed's {SEED_VOCAB_FILE})"
            )
        return ModelSource(path, found, str(path))
    if path.is_dir() and not (path / runs.RUN_FILE).is_file():
        for name in (runs.MODEL_FILE, SEED_MODEL_FILE):
            if (path / name).is_file():
                return resolve_model(str(path / name), vocab)
        raise CheckpointError(
            f"{path} holds neither {runs.MODEL_FILE} nor {SEED_MODEL_FILE}: give the weights file"
        )
    if not path.is_dir() and (ref.endswith(".safetensors") or "/" in ref or "\\" in ref):
        raise CheckpointError(f"{ref} does not exist")
    info = runs.open_run(ref)
    weights = info.file(runs.MODEL_FILE)
    if not weights.is_file():
        raise CheckpointError(
            f"run {info.run_id} has no saved weights yet: it saves at its first checkpoint"
        )
    return ModelSource(weights, given_vocab or info.file(runs.VOCAB_FILE), info.run_id, info)


@dataclass(frozen=True)
class SeedSizes:
    """Sizes given on the seed's command line; None = not given (taken from the file)."""

    dim: int | None = None
    max_seq: int | None = None
    layers: int | None = None
    heads: int | None = None


class Prober:
    """A model loaded once for questions: encoder + predictor in eval mode on the CPU, the
    vocabulary, and the unit target rows of every real word, precomputed."""

    def __init__(
        self,
        model,
        vocab: Vocab,
        config: ModelConfig,
        label: str = "",
        step: int = 0,
        seed_file: bool = False,
    ) -> None:
        self.model = model.float().eval()
        self.vocab = vocab
        self.config = config
        self.label = label
        self.step = step
        self.seed_file = seed_file
        with torch.inference_mode():
            self.targets = self.model.teacher_embed.detach().float()
            self.unit_table = F.normalize(self.targets[FIRST_WORD_ID:], dim=-1)
        self.words = self.unit_table.shape[0]

    @classmethod
    def load(
        cls,
        ref: str,
        vocab: str | Path | None = None,
        heads: int | None = None,
        sizes: SeedSizes | None = None,
    ) -> Prober:
        """Read weights (never pickle) and vocabulary, check they belong together, build the
        model. `heads` matters only for seed files, which do not record it (default 4);
        `sizes` (the seed form's numbers) must match what the file says."""
        source = resolve_model(ref, vocab)
        weights = checkpoint.load_weights(source.weights)
        sizes = sizes or SeedSizes()
        if heads is not None and sizes.heads is None:
            sizes = SeedSizes(sizes.dim, sizes.max_seq, sizes.layers, heads)
        config = _model_config(weights, sizes, source.weights)
        words = Vocab.load(source.vocab)
        rows = int(weights.tensors["encoder.embed.weight"].shape[0])
        if len(words) != rows:
            raise CheckpointError(
                f"vocab {source.vocab} has {len(words)} tokens but the model's embedding has "
                f"{rows} rows: give the vocab file saved with these weights"
            )
        saved_hash = weights.metadata.get("vocab_hash")
        if saved_hash and saved_hash != words.digest():
            raise CheckpointError(
                f"vocab {source.vocab} is not the one these weights were trained with "
                "(its hash differs): give the vocab file saved with them"
            )
        model = checkpoint.build_model(weights, config)
        return cls(model, words, config, source.label, weights.step, weights.is_seed_file)

    # --- questions ---------------------------------------------------------------------------

    def parse(self, text: str) -> Query:
        return parse_query(text, self.config.lowercase)

    def query(self, text: str, top_k: int = DEFAULT_TOP_K) -> DiffResult | list[DiffResult]:
        """One answer: its DiffResult; several (`=> a, b, c`): all of them, best first."""
        results = self.query_all(text, top_k)
        return results[0] if len(results) == 1 else results

    def query_all(self, text: str, top_k: int = DEFAULT_TOP_K) -> list[DiffResult]:
        """Every answer of the query scored against the same encoded phrase, best first."""
        with _one_thread():
            return self._query_all(text, top_k)

    def _query_all(self, text: str, top_k: int) -> list[DiffResult]:
        started = time.perf_counter()
        query = self.parse(text)
        answer_ids = self._answer_ids(query.answers)
        tokens, mask_index, removed = strip_answers(query.tokens, query.mask_index, query.answers)
        if len(tokens) < 2:
            raise QueryError(
                f"nothing but the mask is left once {', '.join(sorted(set(removed)))} is taken "
                "out of the phrase (words equal to the answer are removed): add other words"
            )
        tokens, mask_index, before, after = window(tokens, mask_index, self.config.max_seq)
        ids = [MASK_ID if i == mask_index else self.vocab.id(t) for i, t in enumerate(tokens)]
        context = [t for i, t in enumerate(tokens) if i != mask_index]
        unknown = list(dict.fromkeys(t for t in context if self.vocab.id(t) == UNK_ID))
        predicted = self._predict(ids, mask_index)
        p_unit = F.normalize(predicted, dim=0)
        cosines = self.unit_table @ p_unit
        k = max(0, min(top_k, self.words))
        top = torch.topk(cosines, k) if k else None
        neighbors = (
            [
                (self.vocab.tokens[int(i) + FIRST_WORD_ID], float(c))
                for c, i in zip(top.values, top.indices, strict=True)
            ]
            if top is not None
            else []
        )
        elapsed = (time.perf_counter() - started) * 1000
        results = []
        for answer, answer_id in zip(query.answers, answer_ids, strict=True):
            cosine = cosines[answer_id - FIRST_WORD_ID]
            t_unit = self.unit_table[answer_id - FIRST_WORD_ID]
            results.append(
                DiffResult(
                    query=query.text,
                    answer=answer,
                    answer_id=answer_id,
                    cosine=float(cosine),
                    l2_unit=float(torch.linalg.vector_norm(p_unit - t_unit)),
                    l2=float(torch.linalg.vector_norm(predicted - self.targets[answer_id])),
                    rank=int((cosines > cosine).sum()) + 1,
                    words=self.words,
                    neighbors=neighbors,
                    tokens=tokens,
                    mask_index=mask_index,
                    unknown=unknown,
                    removed=removed,
                    dropped_before=before,
                    dropped_after=after,
                    no_context=len(unknown) == len(set(context)),
                    elapsed_ms=elapsed,
                )
            )
        return sorted(results, key=lambda r: (r.rank, -r.cosine))

    def _answer_ids(self, answers: tuple[str, ...]) -> list[int]:
        """Vocabulary ids of the answers; unknown ones are a QueryError naming close words."""
        problems = []
        for answer in answers:
            if self.vocab.id(answer) < FIRST_WORD_ID:
                close = self.close_words(answer)
                hint = f" (close: {', '.join(close)})" if close else ""
                problems.append(f"{answer!r}{hint}")
        if problems:
            what = "is" if len(problems) == 1 else "are"
            raise QueryError(
                f"{' and '.join(problems)} {what} not in the model's vocabulary: "
                "pick a word it was trained on"
            )
        return [self.vocab.id(answer) for answer in answers]

    def close_words(self, word: str, count: int = 5) -> list[str]:
        """Vocabulary words spelled like `word`, closest first."""
        real = self.vocab.tokens[FIRST_WORD_ID:]
        close = difflib.get_close_matches(word, real, n=count, cutoff=0.7)
        if word.lower() in self.vocab and word.lower() not in close:
            close.insert(0, word.lower())
        return close[:count]

    @torch.inference_mode()
    def _predict(self, ids: list[int], mask_index: int) -> torch.Tensor:
        batch = torch.tensor([ids], dtype=torch.long)
        padding = torch.ones_like(batch, dtype=torch.bool)
        masked = torch.zeros_like(batch, dtype=torch.bool)
        masked[0, mask_index] = True
        _, predicted = self.model.predict(batch, padding, masked)
        return predicted[0].float()

    # --- description -------------------------------------------------------------------------

    def describe(self) -> str:
        c = self.config
        kind = "seed file" if self.seed_file else f"step {self.step:,}"
        return (
            f"{self.label}: {kind}, dim {c.dim}, {c.layers} layers, {c.heads} heads, "
            f"max_seq {c.max_seq}, {self.words:,} words" + ("" if c.lowercase else ", case kept")
        )


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread for the span of a query. One short sequence gains nothing from
    intra-op threads, and when the cores are busy (a training run beside the probe) the
    thread pool's hand-offs turned a 1 ms query into 250 ms on a 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _model_config(weights: checkpoint.LoadedWeights, sizes: SeedSizes, path: Path) -> ModelConfig:
    """Sizes from the file's metadata, or from tensor shapes for a seed file; any size the user
    gave must agree with the file."""
    tensors = weights.tensors
    if weights.config is not None:
        config = weights.config
        config.vocab_size = int(tensors["encoder.embed.weight"].shape[0])
    else:
        config = checkpoint.infer_seed_config(
            tensors,
            heads=sizes.heads or ModelConfig.heads,
            max_seq=sizes.max_seq or ModelConfig.max_seq,
        )
    for name in ("dim", "layers", "max_seq", "heads"):
        given = getattr(sizes, name)
        if given is not None and given != getattr(config, name):
            raise ConfigError(
                f"{path} has {name} {getattr(config, name)}, but {given} was given: "
                f"leave it out or pass {getattr(config, name)}",
                field=name,
            )
    return config
