"""The throughput benchmark's reference: what a user would write with Hugging Face
transformers (a BertModel of Tofy's sizes, a head at 15% of positions, MSE against the
detached embedding row, and the AdamW Tofy builds), fed the usual way: random lines, each
batch padded to its longest line, with an attention mask. Also what both sides measure
(`Measure`) and count alike (real tokens, attention FLOPs)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from common import require_transformers


@dataclass
class Measure:
    """What one contestant did in one round."""

    seconds: float = 0.0
    tokens: int = 0  # positions computed, padding included
    real_tokens: int = 0  # non-pad positions: what the text amounts to
    flops: float = 0.0
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def real_tokens_per_s(self) -> float:
        return self.real_tokens / self.seconds

    @property
    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9


def real_tokens(nonpad) -> int:
    """Non-pad positions of a step's rows (a bool tensor, True at real tokens): counted the
    same way for both sides."""
    return int(nonpad.sum())


def attention_flops(layers: int, batch: int, queries: int, keys: int, dim: int) -> float:
    """QKᵀ and AV: 4·B·Lq·Lk·d forward, twice that backward."""
    return 12 * layers * batch * queries * keys * dim


class ReferenceContestant:
    """BertModel + Linear head + MSE at 15% of positions + Tofy's AdamW, on the same rows."""

    def __init__(
        self,
        table,
        vocab_size: int,
        size: dict[str, int],
        clock,
        dropout: float = 0.0,
        seed: int = 0,
    ):
        import torch
        from torch import nn

        from tofy_core.model.optim import adamw, decay_groups

        require_transformers()
        from transformers import BertConfig, BertModel

        torch.manual_seed(seed)
        config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=size["dim"],
            num_hidden_layers=size["layers"],
            num_attention_heads=size["heads"],
            intermediate_size=4 * size["dim"],
            max_position_embeddings=size["max_seq"],
            hidden_dropout_prob=dropout,
            attention_probs_dropout_prob=dropout,
            attn_implementation="sdpa",
        )
        self.model = BertModel(config, add_pooling_layer=False).train()
        self.head = nn.Linear(size["dim"], size["dim"])
        params = list(self.model.parameters()) + list(self.head.parameters())
        # the AdamW Tofy builds, at TrainConfig's default lr and weight decay: torch's CPU
        # default (the per-tensor loop) would slow the reference for no reason
        both = nn.ModuleList([self.model, self.head])
        self.optimizer = adamw(decay_groups(both.parameters(), weight_decay=0.01), lr=3e-4)
        self.table = table
        self.batch = size["batch"]
        self.generator = torch.Generator().manual_seed(seed)
        self.dim, self.layers = size["dim"], size["layers"]
        self.clock = clock
        embed = sum(p.numel() for p in self.model.embeddings.parameters())
        self.head_params = sum(p.numel() for p in self.head.parameters())
        self.non_embedding = sum(p.numel() for p in params) - embed
        # the embedding LayerNorm runs at every position too: count it with the blocks
        self.block_params = self.non_embedding - self.head_params + 2 * self.dim

    def step(self, measure: Measure) -> None:
        import torch
        import torch.nn.functional as F

        start = self.clock()
        indices = torch.randint(0, len(self.table), (self.batch,), generator=self.generator)
        rows = self.table.rows(indices)
        attention = rows != 0
        masked = (torch.rand(rows.shape, generator=self.generator) < 0.15) & attention
        inputs = rows.masked_fill(masked, 2)
        made = self.clock()
        hidden = self.model(input_ids=inputs, attention_mask=attention).last_hidden_state
        predicted = self.head(hidden[masked])
        target = self.model.embeddings.word_embeddings.weight[rows[masked]].detach()
        loss = F.mse_loss(predicted, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        done = self.clock()
        measure.parts["make_batch"] += made - start
        measure.parts["forward_backward_optimizer"] += done - made
        size, length = rows.shape
        count = int(masked.sum())
        measure.tokens += rows.numel()
        measure.real_tokens += real_tokens(attention)
        measure.flops += 6 * self.block_params * rows.numel() + 6 * self.head_params * count
        measure.flops += attention_flops(self.layers, size, length, length, self.dim)

    def run(self, steps: int) -> Measure:
        measure = Measure()
        start = self.clock()
        for _ in range(steps):
            self.step(measure)
        measure.seconds = self.clock() - start
        return measure
