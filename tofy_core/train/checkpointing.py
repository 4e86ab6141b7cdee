"""The trainer's checkpoint files: resuming from them, saving them, and the random streams
they carry. Kept apart from the loop in `trainer.py` because it is file I/O and format
agreement (weights, Adam moments, step, every rank's RNG), not training; the `Trainer`
methods `resume_from_files`, `load_initial_weights` and `save_checkpoint` delegate here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from tofy_core.errors import CheckpointError
from tofy_core.runs import checkpoint
from tofy_core.runs import folders as runs
from tofy_core.runs.event_schema import Kind
from tofy_core.train import distributed

Trainer = Any  # a `trainer.Trainer`; not imported, since that module imports this one


def random_states(trainer: Trainer) -> dict[str, torch.Tensor]:
    """Every random stream a step draws from: the sampler's and torch's (CUDA's too)."""
    states = {"sampler": trainer.sampler.get_state(), "torch": torch.get_rng_state()}
    if trainer.device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(trainer.device)
    return states


def set_random_states(trainer: Trainer, states: dict[str, torch.Tensor]) -> None:
    if "sampler" in states:
        trainer.sampler.set_state(states["sampler"])
    if "torch" in states:
        torch.set_rng_state(states["torch"])
    if "cuda" in states and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(states["cuda"], trainer.device)


def resume(trainer: Trainer) -> None:
    """Take the run's lock, then load weights, teacher, Adam moments, step and RNG state
    from the run's one checkpoint file (state.safetensors); a model.safetensors a kill
    left behind it is rewritten. Files from before the state held the weights still load
    from the pair, which must then agree."""
    trainer.session.hold()
    run = trainer.run
    state = checkpoint.read_state(run.file(runs.STATE_FILE))
    weights = state.weights or checkpoint.load_weights(run.file(runs.MODEL_FILE))
    checkpoint.check_fits(weights, trainer.config.model, trainer.data.vocab.digest())
    checkpoint.load_into(trainer.model, weights)
    rng = checkpoint.restore_optimizer(state, trainer.model, trainer.optimizer)
    step = state.step
    if state.weights is None and step != weights.step:
        raise CheckpointError(f"model (step {weights.step}) and state (step {step}) files disagree")
    set_random_states(trainer, distributed.states_for_rank(rng, trainer.world, run.run_id))
    trainer.step = step
    trainer.last_good_step = step
    if not trainer.world.is_main:
        return
    if state.weights is not None and runs.checkpoint_step(run, runs.MODEL_FILE) != step:
        save_model_file(trainer)


def load_initial_weights(trainer: Trainer, weights: checkpoint.LoadedWeights, path: Path) -> None:
    """Start from another checkpoint's weights, loaded from `path` (the seed's
    --latent-from-checkpoint)."""
    rows, dim = weights.tensors["encoder.embed.weight"].shape
    vocab, model_dim = len(trainer.data.vocab), trainer.config.model.dim
    if rows != vocab or dim != model_dim:
        raise CheckpointError(
            f"{path} has a {rows}×{dim} embedding but this run needs "
            f"{vocab}×{model_dim}: match --dim/max_vocab to the "
            "checkpoint and keep its vocab file beside it"
        )
    checkpoint.load_into(trainer.model, weights, source=f"the weights in {path}")


def save(trainer: Trainer, loss: torch.Tensor | None) -> bool:
    """Save model + state atomically, unless the weights went non-finite (keep the last)."""
    bad = loss is not None and not bool(torch.isfinite(loss))
    bad = bad or not all(bool(torch.isfinite(p).all()) for p in trainer.model.parameters())
    if distributed.any_rank(bad):
        return False
    rng = distributed.gather_states(random_states(trainer))  # every rank's, saved by rank 0
    if not trainer.world.is_main:
        trainer.last_good_step = trainer.step
        return True
    checkpoint.save_state(
        trainer.run.file(runs.STATE_FILE),
        trainer.model,
        trainer.optimizer,
        trainer.step,
        rng,
        config=trainer.config.model,
        vocab_digest=trainer.data.vocab.digest(),
    )  # the checkpoint: one file, one rename; the model file below is its export
    save_model_file(trainer)
    trainer.last_good_step = trainer.step
    trainer.session.saved(trainer.step)
    trainer.emit(Kind.CHECKPOINT, step=trainer.step, path=str(trainer.run.file(runs.MODEL_FILE)))
    return True


def save_model_file(trainer: Trainer) -> None:
    checkpoint.save_model(
        trainer.run.file(runs.MODEL_FILE),
        trainer.model,
        trainer.config.model,
        trainer.step,
        trainer.data.vocab.digest(),
    )
