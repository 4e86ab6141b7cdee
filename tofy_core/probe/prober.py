"""Probing a trained model: `PHRASE => ANSWER` → how close the predicted embedding at the mask
is to the answer's row of the target table, the answer's rank among all real words, and the
nearest words; `PHRASE` alone → the nearest words as the model's guesses.

Queries are parsed by `probe.query` (pure, no model, where the result types live too);
`Prober` loads a model once (run id, run folder or `.safetensors` file + vocab) and answers
queries in milliseconds. The CLI and the TUI render what it returns."""

from __future__ import annotations

import difflib
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from tofy_core import paths
from tofy_core.config import ModelConfig
from tofy_core.data.vocab import FIRST_WORD_ID, MASK_ID, UNK_ID, Vocab
from tofy_core.errors import CheckpointError, QueryError, RunNotFoundError
from tofy_core.model.latent import QuerySelection
from tofy_core.probe.query import (
    DiffAnswer,
    DiffResult,
    Query,
    TokenView,
    UnknownAnswer,
    parse_query,
    phrase_view,
    strip_answers,
    window,
)
from tofy_core.runs import checkpoint, events
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import EVENT, Kind
from tofy_core.runs.files import refuse_link
from tofy_core.runs.seed_format import (
    SEED_MODEL_FILE,
    SEED_VOCAB_FILE,
    SeedSizes,
    model_config_for,
    vocab_beside,
)

DEFAULT_TOP_K = 5
RECENT_PHRASES = 32  # encoded phrases whose cosines are kept (32 × words × 4 bytes)


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
    path = paths.user_path(ref)
    given_vocab = paths.user_path(vocab) if vocab else None
    if not runs.is_run_path(ref) and not ref.endswith(".safetensors"):
        try:  # a bare word is a run first, as for show, resume and delete
            info = runs.open_run(ref)
        except RunNotFoundError:
            pass
        else:
            return _run_source(info, given_vocab)
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
    # Probing only reads, so a run folder anywhere will do (a copy from another machine).
    info = runs.read_info(path) if path.is_dir() else runs.open_run(ref)
    return _run_source(info, given_vocab)


def _run_source(info: runs.RunInfo, given_vocab: Path | None) -> ModelSource:
    weights = info.file(runs.MODEL_FILE)
    refuse_link(weights)
    if given_vocab is None:
        refuse_link(info.file(runs.VOCAB_FILE))
    if not weights.is_file():
        raise CheckpointError(
            f"run {info.run_id} has no saved weights yet: it saves at its first checkpoint"
        )
    return ModelSource(weights, given_vocab or info.file(runs.VOCAB_FILE), info.run_id, info)


def heldout_top10(run: runs.RunInfo | None, step: int) -> float | None:
    """The held-out top-10 retrieval of the run's last evaluation at or before `step` (the
    weights' step), or None when the run has none."""
    if run is None:
        return None
    try:
        found = events.read_events(run.file(runs.METRICS_FILE))
    except (OSError, ValueError):
        return None
    scores = [e for e in found if e.get(EVENT) == Kind.EVAL and int(e.get("step", 0)) <= step]
    value = scores[-1].get("top10") if scores else None
    return float(value) if isinstance(value, int | float) else None


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
        run: runs.RunInfo | None = None,
    ) -> None:
        self.model = model.float().eval()
        self.vocab = vocab
        self.config = config
        self.label = label
        self.step = step
        self.seed_file = seed_file
        self.run = run
        self.training = run is not None and run.status == "running"
        with torch.inference_mode():
            self.targets = self.model.teacher_embed.detach().float()
            self.unit_table = F.normalize(self.targets[FIRST_WORD_ID:], dim=-1).contiguous()
            prior = self.model.word_prior
            self.prior = None if prior is None else prior.detach().float().clone()
        self.words = self.unit_table.shape[0]
        self.heldout_top10 = heldout_top10(run, step)
        self._recent: OrderedDict[tuple[int, ...], torch.Tensor] = OrderedDict()

    @classmethod
    def load(
        cls,
        ref: str,
        vocab: str | Path | None = None,
        heads: int | None = None,
        sizes: SeedSizes | None = None,
    ) -> Prober:
        """Read weights (never pickle) and vocabulary, check they belong together, build the
        model. A run still training is read at its last checkpoint (saved whole, atomically).
        `heads` matters only for seed files, which do not record it (default 4); `sizes` (the
        seed form's numbers) must match what the file says."""
        source = resolve_model(ref, vocab)
        weights = checkpoint.load_weights(source.weights)
        sizes = sizes or SeedSizes()
        if heads is not None and sizes.heads is None:
            sizes = SeedSizes(sizes.dim, sizes.max_seq, sizes.layers, heads)
        config = model_config_for(weights, sizes, source.weights)
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
        return cls(
            model, words, config, source.label, weights.step, weights.is_seed_file, source.run
        )

    # --- questions ---------------------------------------------------------------------------

    def parse(self, text: str) -> Query:
        return parse_query(text, self.config.lowercase)

    def preview(self, text: str) -> list[TokenView]:
        """The phrase as it will be encoded, token by token (QueryError when it cannot be)."""
        return phrase_view(self.parse(text), self.known, self.config.max_seq)

    def known(self, word: str) -> bool:
        """A real word of the vocabulary (not a special, not unknown)."""
        return self.vocab.id(word) >= FIRST_WORD_ID

    def query(self, text: str, top_k: int = DEFAULT_TOP_K) -> DiffResult | list[DiffResult]:
        """One answer: its DiffResult; several (`=> a, b, c`): all of them, best first."""
        results = self.query_all(text, top_k)
        return results[0] if len(results) == 1 else results

    def query_all(self, text: str, top_k: int = DEFAULT_TOP_K) -> list[DiffResult]:
        """Every answer of the query scored against the same encoded phrase, best first; a
        query without an answer, or with an unknown one, is a QueryError here."""
        found = self.ask(text, top_k)
        if found.unknown_answers:
            raise QueryError(_unknown_message(found.unknown_answers))
        if not found.results:
            raise QueryError("no answer to score: write the phrase, then `=>`, then the answer")
        return found.results

    def ask(self, text: str, top_k: int = DEFAULT_TOP_K) -> DiffAnswer:
        """The whole answer to a query: the reading of the phrase, the nearest words, each
        known answer scored (best first) and the unknown ones beside them. Only when every
        answer is unknown is it a QueryError (there is nothing to score)."""
        with _one_thread():
            return self._ask(text, top_k)

    def _ask(self, text: str, top_k: int) -> DiffAnswer:
        started = time.perf_counter()
        query = self.parse(text)
        answers = [a for a in query.answers if self.known(a)]
        missing = [
            UnknownAnswer(a, self.close_words(a)) for a in query.answers if not self.known(a)
        ]
        if missing and not answers:
            raise QueryError(_unknown_message(missing))
        tokens, mask_index, removed = strip_answers(query.tokens, query.mask_index, answers)
        if len(tokens) < 2:
            raise QueryError(
                f"nothing but the mask is left once {', '.join(sorted(set(removed)))} is taken "
                "out of the phrase (words equal to the answer are removed): add other words"
            )
        tokens, mask_index, before, after = window(tokens, mask_index, self.config.max_seq)
        ids = [MASK_ID if i == mask_index else self.vocab.id(t) for i, t in enumerate(tokens)]
        context = [t for i, t in enumerate(tokens) if i != mask_index]
        unknown = list(dict.fromkeys(t for t in context if self.vocab.id(t) == UNK_ID))
        cosines = self._cosines(ids, mask_index)
        scores = cosines if self.prior is None else cosines + self.prior
        k = max(0, min(top_k, self.words))
        top = torch.topk(scores, k).indices.tolist()
        neighbors = [(self.vocab.tokens[i + FIRST_WORD_ID], float(cosines[i])) for i in top]
        results = []
        for answer in answers:
            answer_id = self.vocab.id(answer)
            word = answer_id - FIRST_WORD_ID
            value = float(cosines[word])
            by_cosine = int((cosines > cosines[word]).sum()) + 1
            results.append(
                DiffResult(
                    answer=answer,
                    answer_id=answer_id,
                    cosine=value,
                    l2_unit=max(0.0, 2.0 - 2.0 * value) ** 0.5,
                    rank=int((scores > scores[word]).sum()) + 1,
                    words=self.words,
                    cosine_rank=None if self.prior is None else by_cosine,
                )
            )
        results.sort(key=lambda r: (r.rank, -r.cosine))
        return DiffAnswer(
            query=query.text,
            tokens=tokens,
            mask_index=mask_index,
            neighbors=neighbors,
            words=self.words,
            results=results,
            unknown_answers=missing,
            unknown=unknown,
            removed=removed,
            dropped_before=before,
            dropped_after=after,
            no_context=len(unknown) == len(set(context)),
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def close_words(self, word: str, count: int = 5) -> list[str]:
        """Vocabulary words spelled like `word`, closest first."""
        real = self.vocab.tokens[FIRST_WORD_ID:]
        close = difflib.get_close_matches(word, real, n=count, cutoff=0.7)
        if word.lower() in self.vocab and word.lower() not in close:
            close.insert(0, word.lower())
        return close[:count]

    def _cosines(self, ids: list[int], mask_index: int) -> torch.Tensor:
        """Cosine of the prediction with every word's unit row. The last few are kept: the
        Diff screen asks the same phrase again and again (another answer, a neighbour chosen,
        another k), and then answers without running the model."""
        key = (mask_index, *ids)
        found = self._recent.get(key)
        if found is None:
            found = self.unit_table @ F.normalize(self._predict(ids, mask_index), dim=0)
            self._recent[key] = found
            if len(self._recent) > RECENT_PHRASES:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        return found

    @torch.inference_mode()
    def _predict(self, ids: list[int], mask_index: int) -> torch.Tensor:
        batch = torch.tensor([ids], dtype=torch.long)
        masked = batch == MASK_ID
        # One phrase, one mask: no padding mask (None takes the faster path), and the last
        # block's selection written out instead of derived from `masked` (argsort, nonzero).
        selection = QuerySelection(torch.tensor([[mask_index]]), torch.zeros(1, dtype=torch.long))
        _, predicted = self.model.predict(batch, None, masked, selection)
        return predicted[0]

    def warm_up(self) -> None:
        """One prediction, so the user's first query does not pay torch's first-call costs
        (kernel selection, allocator growth): tens of milliseconds."""
        with _one_thread():
            self._predict([MASK_ID, UNK_ID], 0)

    # --- description -------------------------------------------------------------------------

    @property
    def parameters(self) -> int:
        return self.config.parameter_count()

    def where(self) -> str:
        """Which weights answer: the step, and whether the run is still training."""
        if self.seed_file:
            return "seed file"
        if self.training:
            return f"step {self.step:,} (the last checkpoint: the run is still training)"
        return f"step {self.step:,}"

    def describe(self) -> str:
        c = self.config
        return (
            f"{self.label}: {self.where()}, dim {c.dim}, {c.layers} layers, {c.heads} heads, "
            f"max_seq {c.max_seq}, {self.words:,} words" + ("" if c.lowercase else ", case kept")
        )


def _unknown_message(missing: list[UnknownAnswer]) -> str:
    """Every answer unknown: one line naming them with close words."""
    names = []
    for unknown in missing:
        hint = f" (close: {', '.join(unknown.close)})" if unknown.close else ""
        names.append(f"{unknown.answer!r}{hint}")
    what = "is" if len(names) == 1 else "are"
    return (
        f"{' and '.join(names)} {what} not in the model's vocabulary: pick a word it was trained on"
    )


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread for the span of a query. One short sequence gains nothing from
    intra-op threads, and when the cores are busy (a training run beside the probe) the
    thread pool's hand-offs turned a 1 ms query into 250 ms on a 2-core machine."""
    previous = torch.get_num_threads()
    if previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
