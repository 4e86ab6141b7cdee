"""The latent model: the encoder (encoder.py) → predictor → LatentModel with its EMA target
table, word prior and the loss. It knows nothing of files; `export_tensors` and
`import_tensors` map between the internal modules and the seed's tensor names."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tofy_core.config import ModelConfig, TrainConfig
from tofy_core.data.masking import QuerySelection
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.model.encoder import Encoder
from tofy_core.model.optim import adamw, decay_groups
from tofy_core.model.word_softmax import word_softmax_loss


class Predictor(nn.Module):
    """fc2(ReLU(fc1(h))): maps an encoder state to the predicted word embedding."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, dim)
        self.fc2 = nn.Linear(dim, dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(h)))


@dataclass
class LossParts:
    """The total loss and its parts; tensors, so nothing syncs until a log step asks."""

    total: torch.Tensor
    mse: torch.Tensor
    ce: torch.Tensor
    align: torch.Tensor
    accuracy: torch.Tensor


class LatentModel(nn.Module):
    """Online encoder + predictor, and the EMA target table the predictions are scored against.

    Only the teacher's embedding table enters the loss, so that table is all the teacher keeps:
    the EMA costs one vocab×dim update instead of a whole encoder copy."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.predictor = Predictor(config.dim)
        self.register_buffer("teacher_embed", self.encoder.embed.weight.detach().clone())
        words = config.effective_vocab - FIRST_WORD_ID
        # A learned score per word added to the cosine (`word_scores`): how likely the word is
        # anywhere, which a cosine cannot say (an MLM's decoder bias says it). None: cosine only.
        self.word_prior = nn.Parameter(torch.zeros(words)) if config.word_prior else None

    def predict(
        self,
        ids: torch.Tensor,
        padding: torch.Tensor | None,
        masked: torch.Tensor,
        selection: QuerySelection | None = None,
        positions: torch.Tensor | None = None,
    ):
        """Encoder states and predicted embeddings at the masked positions, row-major.
        `selection` is `masked` prepared on the CPU (`MaskedBatch.selection`); `padding` and
        `positions` as `Encoder.forward` takes them."""
        if selection is None:
            selection = QuerySelection.from_mask(masked)
        hidden = self.encoder(ids, padding, selection, positions)
        return hidden, self.predictor(hidden)

    def unit_targets(self) -> torch.Tensor:
        """Unit-length target rows of every real word (specials excluded)."""
        return F.normalize(self.teacher_embed[FIRST_WORD_ID:], dim=-1)

    def word_scores(self, predicted: torch.Tensor, table: torch.Tensor | None = None):
        """What ranks the words for each prediction (M, words): the cosine to each target row,
        plus the word's prior when the model has one. `table`: `unit_targets()`, precomputed."""
        table = self.unit_targets() if table is None else table
        scores = F.normalize(predicted, dim=-1) @ table.T
        return scores if self.word_prior is None else scores + self.word_prior

    @torch.no_grad()
    def start_word_prior(self, counts: torch.Tensor, temperature: float) -> None:
        """Start the prior at each word's log-frequency (add-one, from `counts` of the real
        words in the training split), in cosine units (×τ), centred on 0. The contrastive
        softmax then ranks like word counts from step 0 and the context has to beat that."""
        if self.word_prior is None:
            return
        log_freq = torch.log(counts.float() + 1)
        prior = temperature * (log_freq - log_freq.mean())
        self.word_prior.copy_(prior.to(self.word_prior.device))

    def loss(
        self,
        ids: torch.Tensor,
        padding: torch.Tensor,
        masked: torch.Tensor,
        targets: torch.Tensor,
        train: TrainConfig,
        negative_ids: torch.Tensor | None = None,
        selection: QuerySelection | None = None,
        positions: torch.Tensor | None = None,
    ) -> LossParts:
        """`mse·mean((p̂−t̂)²) + ce·CE(cosines/τ) + align·mean(1−cos(h,t̂))`, negatives from the
        teacher table: every real word, or the given sampled ids (M, k)."""
        hidden, predicted = self.predict(ids, padding, masked, selection, positions)
        p_unit = F.normalize(predicted, dim=-1)
        t_unit = F.normalize(self.teacher_embed[targets], dim=-1)
        mse = (p_unit - t_unit).pow(2).mean()
        if negative_ids is None:
            labels = targets - FIRST_WORD_ID
            table = self.contrast_table(train)
            bias = None if self.word_prior is None else self.word_prior / train.temperature
            ce, hits = word_softmax_loss(p_unit / train.temperature, table, labels, bias)
            accuracy = hits.float().mean()
        else:
            rows = self._contrast_rows(train)
            negatives = F.normalize(rows[negative_ids], dim=-1)
            positive = (p_unit * F.normalize(rows[targets], dim=-1)).sum(-1, keepdim=True)
            others = torch.einsum("md,mkd->mk", p_unit, negatives)
            logits = torch.cat([positive, others], dim=1)
            if self.word_prior is not None:
                ids = torch.cat([targets.unsqueeze(1), negative_ids], dim=1) - FIRST_WORD_ID
                logits = logits + self.word_prior[ids]
            logits = logits / train.temperature
            ce = F.cross_entropy(logits, torch.zeros_like(targets))
            held = logits.detach()
            accuracy = (held[:, 0] >= held.amax(dim=-1)).float().mean()
        align = (1 - F.cosine_similarity(hidden, t_unit, dim=-1)).mean()
        total = train.mse_weight * mse + train.ce_weight * ce + train.align_weight * align
        return LossParts(total, mse.detach(), ce.detach(), align.detach(), accuracy)

    def _contrast_rows(self, train: TrainConfig) -> torch.Tensor:
        """The embedding rows the contrastive loss scores against: the EMA teacher's (the
        seed; no gradient), or the online table, which the loss then trains as well, so a word
        the context rules out is pushed away from the prediction even when it is rare."""
        if train.contrast == "online":
            return self.encoder.embed.weight
        return self.teacher_embed

    def contrast_table(self, train: TrainConfig) -> torch.Tensor:
        return F.normalize(self._contrast_rows(train)[FIRST_WORD_ID:], dim=-1)

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """teacher ← m·teacher + (1−m)·online embedding, in place."""
        self.teacher_embed.mul_(momentum).add_(self.encoder.embed.weight, alpha=1 - momentum)

    def configure_optimizer(self, train: TrainConfig, device: torch.device):
        """AdamW with weight decay on matrices only; fused kernels where the build has them.
        The word prior learns at τ× the rate (`lr_scale`): it is added to cosines that the
        loss divides by τ, so in the softmax's units it then moves like any other weight."""
        prior = [self.word_prior] if self.word_prior is not None else []
        rest = [p for p in self.parameters() if all(p is not q for q in prior)]
        groups = decay_groups(rest, train.weight_decay)
        if prior:
            groups.append({"params": prior, "weight_decay": 0.0, "lr_scale": train.temperature})
        return adamw(groups, train.lr)


def sample_negatives(
    targets: torch.Tensor, count: int, vocab_size: int, generator: torch.Generator
) -> torch.Tensor:
    """`count` real-word ids per target, uniform, never a special and never the target."""
    words = vocab_size - FIRST_WORD_ID
    if words < 2:
        raise ValueError("sampled negatives need at least two real words")
    drawn = torch.randint(0, words - 1, (targets.numel(), count), generator=generator)
    drawn = drawn.to(targets.device) + FIRST_WORD_ID
    return drawn + (drawn >= targets.unsqueeze(1)).long()


# --- seed tensor names ------------------------------------------------------------------


def export_tensors(model: LatentModel) -> dict[str, torch.Tensor]:
    """Weights under the seed's names (q/k/v split out of the fused projection)."""
    out: dict[str, torch.Tensor] = {}
    enc = model.encoder
    out["encoder.embed.weight"] = enc.embed.weight
    for i, block in enumerate(enc.blocks):
        prefix = f"encoder.block_{i}"
        for part, tensor in zip(("q", "k", "v"), block.attn.qkv.weight.chunk(3), strict=True):
            out[f"{prefix}.attn.{part}_proj.weight"] = tensor
        for part, tensor in zip(("q", "k", "v"), block.attn.qkv.bias.chunk(3), strict=True):
            out[f"{prefix}.attn.{part}_proj.bias"] = tensor
        out[f"{prefix}.attn.out_proj.weight"] = block.attn.out.weight
        out[f"{prefix}.attn.out_proj.bias"] = block.attn.out.bias
        for name in ("ln1", "ln2", "ff1", "ff2"):
            module = getattr(block, name)
            out[f"{prefix}.{name}.weight"] = module.weight
            out[f"{prefix}.{name}.bias"] = module.bias
    out["encoder.ln_final.weight"] = enc.ln_final.weight
    out["encoder.ln_final.bias"] = enc.ln_final.bias
    for name in ("fc1", "fc2"):
        out[f"predictor.{name}.weight"] = getattr(model.predictor, name).weight
        out[f"predictor.{name}.bias"] = getattr(model.predictor, name).bias
    out["teacher.embed.weight"] = model.teacher_embed
    if model.word_prior is not None:
        out["predictor.word_prior"] = model.word_prior
    return {k: v.detach().contiguous().cpu() for k, v in out.items()}


def import_tensors(model: LatentModel, tensors: dict[str, torch.Tensor]) -> list[str]:
    """Load seed-named tensors into the model; returns the names the file lacked
    (a seed file has no teacher table: the online embedding stands in for it)."""
    expected = export_tensors(model)
    missing = [name for name in expected if name not in tensors]
    state: dict[str, torch.Tensor] = {}
    enc_blocks = len(model.encoder.blocks)
    for i in range(enc_blocks):
        prefix = f"encoder.block_{i}"
        for kind in ("weight", "bias"):
            parts = [tensors.get(f"{prefix}.attn.{p}_proj.{kind}") for p in ("q", "k", "v")]
            if all(p is not None for p in parts):
                state[f"encoder.blocks.{i}.attn.qkv.{kind}"] = torch.cat(parts, dim=0)
            out = tensors.get(f"{prefix}.attn.out_proj.{kind}")
            if out is not None:
                state[f"encoder.blocks.{i}.attn.out.{kind}"] = out
            for name in ("ln1", "ln2", "ff1", "ff2"):
                value = tensors.get(f"{prefix}.{name}.{kind}")
                if value is not None:
                    state[f"encoder.blocks.{i}.{name}.{kind}"] = value
    for name in ("encoder.embed.weight", "encoder.ln_final.weight", "encoder.ln_final.bias"):
        if name in tensors:
            state[name] = tensors[name]
    for name in ("fc1", "fc2"):
        for kind in ("weight", "bias"):
            key = f"predictor.{name}.{kind}"
            if key in tensors:
                state[key] = tensors[key]
    if model.word_prior is not None and "predictor.word_prior" in tensors:
        state["word_prior"] = tensors["predictor.word_prior"]
    teacher = tensors.get("teacher.embed.weight", tensors.get("encoder.embed.weight"))
    if teacher is not None:
        state["teacher_embed"] = teacher
    own = model.state_dict()
    for key, value in state.items():
        if own[key].shape != value.shape:
            raise ValueError(
                f"{key}: file has shape {tuple(value.shape)}, model {tuple(own[key].shape)}"
            )
    model.load_state_dict(state, strict=False)
    return missing
