"""The memory a model of given sizes is expected to need, estimated before anything is
allocated (preflight refuses a run that will not fit; the TUI's form shows the figure)."""

from __future__ import annotations

from dataclasses import dataclass

from tofy_core.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run is expected to need, split so a user sees what dominates."""

    weights: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.optimizer + self.activations


def estimate_memory(model: ModelConfig, train: TrainConfig) -> MemoryEstimate:
    """A rough fp32 estimate: weights + grads + teacher table, Adam moments, activations."""
    params = model.parameter_count()
    weights = 4 * (2 * params + model.effective_vocab * model.dim)
    optimizer = 4 * 2 * params
    tokens = train.batch * model.max_seq
    per_layer = tokens * model.dim * 16 + train.batch * model.heads * model.max_seq**2 * 2
    masked = max(1, int(tokens * train.mask_rate)) if not train.masks_per_seq else train.batch
    negatives = train.negatives or model.effective_vocab
    logits = masked * negatives * 3
    activations = 4 * (model.layers * per_layer + logits + tokens * model.dim * 4)
    return MemoryEstimate(weights=weights, optimizer=optimizer, activations=activations)
