"""The training loop, split into small named steps: make_batch → forward_loss →
optimizer_step → ema_update → maybe_log / maybe_eval / maybe_checkpoint.

Every schedule (learning rate, EMA momentum) is a pure function of the step and the data
sampler's RNG state is saved, so a stopped run resumes exactly where it left off."""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import Any

import torch

from tofy_core.config import RunConfig
from tofy_core.data.masking import BatchSampler, MaskedBatch, eval_batches
from tofy_core.data.split import TrainingData
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.model.latent import LatentModel, sample_negatives
from tofy_core.rates import RateMeter
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import Kind
from tofy_core.train import checkpointing, distributed, measures
from tofy_core.train.distributed import pick_device
from tofy_core.train.measures import LossWindow, collapse_score, memory_reading, retrieval_scores
from tofy_core.train.preflight import check_memory
from tofy_core.train.schedule import get_lr, get_momentum
from tofy_core.train.session import EventListener, RunSession

COLLAPSE_SAMPLE = 256


class StepAbandoned(Exception):
    """Raised into the step in flight by `request_stop(now=True)`: the step is dropped."""


class Trainer:
    """Runs one run's training from its current step to `train.steps`: the model, optimizer,
    sampler and checkpoints; its `session` owns the run folder (lock, run.json, events, end
    status). `request_stop()` (e.g. from a signal) ends it cleanly. The caller's config is
    copied, never changed.

    Tools drive it through public methods only: `add_listener` sees every event,
    `run_steps(n, save=False)` runs a measured stretch of the loop (the benchmarks), and the
    named steps (`make_batch` … `maybe_log`) may be wrapped by a subclass to time them."""

    def __init__(
        self,
        run: runs.RunInfo,
        config: RunConfig,
        data: TrainingData,
        listeners: list[EventListener] | None = None,
    ) -> None:
        self.config = copy.deepcopy(config)  # the caller's config stays as it was given
        self.config.model.vocab_size = len(data.vocab)
        self.train = self.config.train
        self.data = data
        self.world = distributed.current()  # rank 0 alone writes the run's files and events
        self.session = RunSession(run, writes=self.world.is_main, listeners=listeners)
        self.device = pick_device(self.train.device)
        self.torch_settings = self.session.apply_torch_settings(self.train, self.device)
        check_memory(self.config, self.device)
        self.model = LatentModel(self.config.model).to(self.device)
        self.word_counts = measures.word_counts(data.train_table, len(data.vocab))
        self.model.start_word_prior(self.word_counts, self.train.temperature)
        self.optimizer = self.model.configure_optimizer(self.train, self.device)
        seed = self.train.seed + self.world.rank  # each process draws its own batches
        self.sampler = BatchSampler(data.train_table, len(data.vocab), seed, pack=self.train.pack)
        self.step = 0
        self.meter = RateMeter()  # all ranks' tokens, summed at each log
        self._counted = (0, 0)  # the meter's all-rank totals at the last log
        self.train_seconds = 0.0  # this session's training time, for the summary rate
        self.last_good_step: int | None = None
        self.stop_requested = False
        self.stop_now = False  # stop without finishing the step in flight (SIGTERM)
        self._abandonable = False  # inside a step's batch and forward, or an evaluation
        self._eval = eval_batches(data.eval_table, len(data.vocab), batch=64)
        self.baseline = measures.BaselineWatch.of(self.word_counts, self._eval)
        sample = min(COLLAPSE_SAMPLE, len(data.vocab) - FIRST_WORD_ID)
        self.collapse_ids = torch.arange(FIRST_WORD_ID, FIRST_WORD_ID + sample)
        self._forward = distributed.data_parallel(self.model)  # model.loss with one process
        if self.train.compile:
            self._forward = torch.compile(self.model.loss)

    @property
    def run(self) -> runs.RunInfo:
        return self.session.run

    # --- setup -----------------------------------------------------------------------------

    def resume_from_files(self) -> None:
        """Take the run's lock and resume from its checkpoint (`checkpointing.resume`)."""
        checkpointing.resume(self)

    def load_initial_weights(self, weights: checkpoint.LoadedWeights, path: Path) -> None:
        """Start from another checkpoint's weights (`checkpointing.load_initial_weights`)."""
        checkpointing.load_initial_weights(self, weights, path)

    def add_listener(self, listener: EventListener) -> None:
        """Call `listener` with every event record from now on, after it is written."""
        self.session.listeners.append(listener)

    def emit(self, kind: str, **fields: Any) -> None:
        self.session.emit(kind, **fields)

    def request_stop(self, now: bool = False) -> None:
        """Stop after the current step and save it; with `now` (from a signal handler) the
        step in flight is dropped if it has not begun to change the weights, and the state
        of the last whole step is saved. Under torchrun every rank finishes its step: the
        ranks must agree on where they stop."""
        self.stop_requested = True
        if now and not self.stop_now:
            self.stop_now = True
            if self._abandonable:
                raise StepAbandoned

    # --- one step --------------------------------------------------------------------------

    def make_batch(self) -> MaskedBatch:
        batch = self.sampler.sample(
            self.train.batch, self.train.mask_rate, self.train.masks_per_seq
        )
        if self.device.type == "cuda":
            batch = batch.pin_memory()
        return batch.to(self.device, non_blocking=True)

    def forward_loss(self, batch: MaskedBatch):
        negatives = None
        if self.train.negatives:
            negatives = sample_negatives(
                batch.targets, self.train.negatives, len(self.data.vocab), self.sampler.generator
            )
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            return self._forward(
                batch.inputs,
                batch.key_padding,
                batch.masked,
                batch.targets,
                self.train,
                negatives,
                batch.selection,
                batch.positions,
            )

    def optimizer_step(self, loss: torch.Tensor) -> None:
        lr = get_lr(self.step, self.train)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.train.grad_clip)
        self.optimizer.step()

    def ema_update(self) -> None:
        self.model.ema_update(get_momentum(self.step, self.train))

    # --- the loop --------------------------------------------------------------------------

    def fit(self) -> str:
        """Train until the last step, a stop request or a non-finite loss; returns the status.
        Any error ends the run `failed` with its text, never `running` with a dead pid."""
        self.session.hold()  # before the try: a refused second trainer must not touch run.json
        try:
            self.session.began(self.device)
            self._emit_start()
            if self.world.is_main:
                self.data.vocab.save(self.run.file(runs.VOCAB_FILE))
            healthy = self.run_steps(self.train.steps - self.step)
            if healthy:
                status, error = ("stopped" if self.stop_requested else "finished"), ""
            else:
                status, error = "failed", self._nan_message()
            if status == "finished" and self.step % self.train.eval_every:
                self.evaluate()
        except BaseException as exc:  # an interrupt too: the process is about to end
            lost = distributed.lost_peer(exc)  # another process's failure, said plainly
            self._end("failed", str(lost) if lost else f"{type(exc).__name__}: {exc}")
            if lost is not None:
                raise lost from None
            raise
        self._end(status, error)
        return status

    def run_steps(self, count: int, *, save: bool = True) -> bool:
        """The step loop for up to `count` steps (fewer at the run's last step or on a stop
        request), then a `step` event for the steps not yet logged and, with `save`, a
        checkpoint; False as soon as the loss is not finite. `fit` runs it to the end."""
        started = time.monotonic()
        window = LossWindow(started, self.device)
        parts = None
        last = min(self.step + count, self.train.steps)
        while self.step < last:
            if distributed.any_rank(self.stop_requested):  # all ranks stop after one step
                self.stop_requested = True
                break
            rewind = self._random_states() if not self.world.active else None
            try:
                self._abandonable = rewind is not None
                batch = self.make_batch()
                parts = self.forward_loss(batch)
                self._abandonable = False
            except StepAbandoned:  # nothing has changed the weights: rewind the draws
                self._abandonable = False
                self._set_random_states(rewind)
                break
            self.optimizer_step(parts.total)
            self.ema_update()
            self.step += 1
            window.add(parts)
            self.meter.add(batch.tokens, batch.real_tokens)
            if self.stop_requested and not self.world.active:
                break  # logged and saved below, the save first
            if self.step % self.train.log_every == 0 or self.step == self.train.steps:
                if not self.maybe_log(window, started):
                    return False
                window = LossWindow(time.monotonic(), self.device)
            if self.step % self.train.eval_every == 0:
                self._evaluate_unless_stopped_now()
            due = save and self.step % self.train.checkpoint_every == 0
            if due and self.step < self.train.steps and not self.save_checkpoint(parts.total):
                return False
        with self.session.quiet():  # a stop's save comes before anything is printed
            if window.steps and not self.maybe_log(window, started):
                return False
            saved = self.save_checkpoint(None) if save else True
        self.train_seconds = time.monotonic() - started
        return saved

    def _evaluate_unless_stopped_now(self) -> None:
        """An evaluation `request_stop(now=True)` may cut short: it changes nothing."""
        if self.world.active:
            self.evaluate()
            return
        try:
            self._abandonable = not self.stop_now
            self.evaluate()
            self._abandonable = False
        except StepAbandoned:
            self._abandonable = False

    def _random_states(self) -> dict[str, torch.Tensor]:
        return checkpointing.random_states(self)

    def _set_random_states(self, states: dict[str, torch.Tensor]) -> None:
        checkpointing.set_random_states(self, states)

    def _emit_start(self) -> None:
        self.emit(
            Kind.START,
            run_id=self.run.run_id,
            config=self.config.to_dict(),
            parameters=self.config.model.parameter_count(),
            device=str(self.device),
            corpus=self.data.sizes(),
            dataset=self.data.corpus.source,
            from_cache=self.data.corpus.from_cache,
            resumed_from=self.step,
            phase=sum(start <= self.step for start, _ in self.train.phases) or 1,
            phase_start=self.train.phase_at(self.step)[0],
            phase_end=self.train.phase_at(self.step)[1],
            torch=torch.__version__,
            threads=torch.get_num_threads(),
            processes=self.world.size,
        )

    def maybe_log(self, window: LossWindow, started: float) -> bool:
        """Write a `step` event averaged over the window; False when the loss is not finite."""
        values = window.averages()  # rank 0's loss; the step updates from all ranks' mean
        finite = math.isfinite(values["loss"])
        self._counted, bad = distributed.count_all_ranks(self.meter, self._counted, not finite)
        if bad:
            return False
        elapsed = time.monotonic() - started
        rates = self.meter.mark(elapsed)
        self.train_seconds = elapsed
        if not self.world.is_main:
            return True
        self.emit(
            Kind.STEP,
            step=self.step,
            steps=self.train.steps,
            **values,
            lr=get_lr(self.step - 1, self.train),
            momentum=get_momentum(self.step - 1, self.train),
            tokens_per_s=rates.tokens_per_s,
            real_tokens_per_s=rates.real_tokens_per_s,
            steps_per_s=rates.steps_per_s,
            elapsed=elapsed,
            eta=rates.eta(self.train.steps - self.step),
            real_tokens=self.meter.real_tokens,
            train_seconds=elapsed,
            collapse=collapse_score(self.model, self.collapse_ids),
            **memory_reading(self.device),
        )
        return True

    def evaluate(self, batches: list[MaskedBatch] | None = None) -> dict[str, float] | None:
        """Held-out retrieval (`measures.retrieval_scores`), written as an `eval` event; other
        `batches` (e.g. training phrases) are scored without one. None: nothing to score.
        Under torchrun rank 0 scores the held-out set once while the others wait."""
        result = None
        if self.world.is_main or batches is not None:
            scored = self._eval if batches is None else batches
            result = retrieval_scores(self.model, scored, self.device)
            if result is not None and batches is None:
                counts = self.baseline.unigram_top10
                self.emit(Kind.EVAL, step=self.step, **result, unigram_top10=counts)
                warning = self.baseline.check(self.step, self.train.steps, result["top10"])
                if warning:
                    self.emit(Kind.WARNING, step=self.step, code="below_unigram", message=warning)
        if batches is None:
            distributed.barrier()
        return result

    def save_checkpoint(self, loss: torch.Tensor | None) -> bool:
        """Save model + state atomically, unless the weights went non-finite (keep the last)."""
        return checkpointing.save(self, loss)

    def _nan_message(self) -> str:
        kept = (
            f"the checkpoint of step {self.last_good_step} is kept"
            if self.last_good_step is not None
            else "no checkpoint had been saved yet"
        )
        return f"loss became NaN/inf by step {self.step}: try a lower --lr; {kept}"

    def _end(self, status: str, error: str) -> None:
        self.session.end(
            status,
            error,
            step=self.step,
            last_checkpoint=self.last_good_step,
            **self.meter.totals(self.train_seconds),
        )
