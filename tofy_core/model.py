"""The latent model, top to bottom: encoder blocks → encoder → predictor → LatentModel with
its EMA target table and the loss. It knows nothing of files; `export_tensors` and
`import_tensors` map between the internal modules and the seed's tensor names."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tofy_core.config import ModelConfig, TrainConfig
from tofy_core.data.masking import QuerySelection
from tofy_core.data.vocab import FIRST_WORD_ID
from tofy_core.word_softmax import word_softmax_loss

LN_EPS = 1e-5
# On CPU, up to this many keys attention runs as two batched matmuls: forward + backward of
# one layer at batch 32, 8 heads of 34, 72 keys took 8.9 ms against SDPA's 13.3 (flash, no
# mask; 16.8 vs 19.6 with a padding mask) on 2 threads; from 128 keys SDPA is the faster and
# it never holds the B·H·L² probabilities.
EXPLICIT_ATTENTION_MAX_KEYS = 96


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """sin at even, cos at odd channels, base 10000, no scaling (the seed's table)."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)[:, : dim // 2]
    return table


class SelfAttention(nn.Module):
    """Multi-head attention with one fused qkv projection and SDPA; padded keys are masked.

    Given `context`, queries come from `x` and keys/values from `context`: the encoder's last
    block asks only at the masked positions, which are all the loss reads."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(
        self,
        x: torch.Tensor,
        key_mask: torch.Tensor | None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        batch, length, dim = x.shape
        head_dim = dim // self.heads
        if context is None:
            qkv = self.qkv(x).view(batch, length, 3, self.heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        else:
            weight, bias = self.qkv.weight, self.qkv.bias
            q = F.linear(x, weight[:dim], bias[:dim])
            q = q.view(batch, length, self.heads, head_dim).transpose(1, 2)
            kv = F.linear(context, weight[dim:], bias[dim:])
            kv = kv.view(batch, context.shape[1], 2, self.heads, head_dim)
            k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
        if uses_explicit_attention(x.device, k.shape[-2]):
            y = explicit_attention(q, k, v, key_mask)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
        return self.out(y.transpose(1, 2).reshape(batch, length, dim))


def uses_explicit_attention(device: torch.device, keys: int) -> bool:
    return device.type == "cpu" and keys <= EXPLICIT_ATTENTION_MAX_KEYS


def explicit_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None
) -> torch.Tensor:
    """softmax(q·kᵀ/√d, padded keys masked)·v as two batched matmuls: what SDPA computes.
    `key_mask` is boolean (True: attend) or additive (0 or -inf, `attention_bias`)."""
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-1, -2)
    if key_mask is not None and key_mask.dtype == torch.bool:
        scores = scores.masked_fill(~key_mask, float("-inf"))
    elif key_mask is not None:
        scores = scores + key_mask
    return scores.softmax(dim=-1) @ v


# The explicit path adds the mask as 0 / -inf rather than masked_fill: packed rows (10 × 8
# heads × 72²), forward + backward of one layer on one thread, took 4.0 ms against 5.5 ms
# (3.8 ms with no mask at all); the softmax is the same to the bit.
def attention_bias(key_mask: torch.Tensor) -> torch.Tensor:
    """A boolean mask (True: attend) as the 0 / -inf bias to add to attention scores."""
    bias = torch.zeros(key_mask.shape, device=key_mask.device)
    return bias.masked_fill_(~key_mask, float("-inf"))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(LN x), x + FFN(LN x) with a 4× GELU FFN."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = SelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.ff1 = nn.Linear(dim, 4 * dim)
        self.ff2 = nn.Linear(4 * dim, dim)

    def forward(
        self,
        x: torch.Tensor,
        key_mask: torch.Tensor | None,
        index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """With `index` (B, W) the block's output only at those positions of each row, (B, W, dim):
        every position still serves as a key and value."""
        h = self.ln1(x)
        if index is None:
            x = x + self.attn(h, key_mask)
        else:
            rows = index.unsqueeze(-1).expand(-1, -1, x.shape[-1])
            if key_mask is not None and key_mask.shape[2] > 1:  # packed: the asked rows
                asked = index[:, None, :, None].expand(-1, 1, -1, key_mask.shape[3])
                key_mask = key_mask.gather(2, asked)
            x = x.gather(1, rows) + self.attn(h.gather(1, rows), key_mask, context=h)
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


class Encoder(nn.Module):
    """Token embedding + sinusoidal positions → blocks → final LayerNorm."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(config.effective_vocab, config.dim)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.register_buffer(
            "positions", sinusoidal_positions(config.max_seq, config.dim), persistent=False
        )
        self.blocks = nn.ModuleList(Block(config.dim, config.heads) for _ in range(config.layers))
        self.ln_final = nn.LayerNorm(config.dim, eps=LN_EPS)

    def forward(
        self,
        ids: torch.Tensor,
        padding: torch.Tensor | None = None,
        select: QuerySelection | None = None,
        positions: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """States (B, L, dim); or, given `select`, only the selected positions' states (M, dim)
        in row-major order, the last block computing nothing else. `padding` None: every
        position is a real token (no attention mask); (B, L): the keys to attend; (B, L, L):
        which keys each query attends (packed rows: block-diagonal, one block per phrase),
        with `positions` (B, L) restarting at 0 per phrase, so a packed row computes what
        its phrases compute alone."""
        if positions is None:
            x = self.embed(ids) + self.positions[: ids.shape[1]]
        else:
            x = self.embed(ids) + self.positions[positions]
        if padding is None:
            key_mask = None
        elif padding.dim() == 2:
            key_mask = padding[:, None, None, :]
        else:
            key_mask = padding[:, None]
        if key_mask is not None and uses_explicit_attention(ids.device, ids.shape[1]):
            key_mask = attention_bias(key_mask)  # built once, added in every block
        *early, last = self.blocks
        for block in early:
            x = block(x, key_mask)
        if select is None:
            return self.ln_final(last(x, key_mask))
        x = last(x, key_mask, select.index)
        return self.ln_final(x.flatten(0, 1)[select.pick])


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
            ce, hits = word_softmax_loss(p_unit / train.temperature, self.unit_targets(), labels)
            accuracy = hits.float().mean()
        else:
            negatives = F.normalize(self.teacher_embed[negative_ids], dim=-1)
            positive = (p_unit * t_unit).sum(-1, keepdim=True)
            others = torch.einsum("md,mkd->mk", p_unit, negatives)
            logits = torch.cat([positive, others], dim=1) / train.temperature
            ce = F.cross_entropy(logits, torch.zeros_like(targets))
            held = logits.detach()
            accuracy = (held[:, 0] >= held.amax(dim=-1)).float().mean()
        align = (1 - F.cosine_similarity(hidden, t_unit, dim=-1)).mean()
        total = train.mse_weight * mse + train.ce_weight * ce + train.align_weight * align
        return LossParts(total, mse.detach(), ce.detach(), align.detach(), accuracy)

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """teacher ← m·teacher + (1−m)·online embedding, in place."""
        self.teacher_embed.mul_(momentum).add_(self.encoder.embed.weight, alpha=1 - momentum)

    def configure_optimizer(self, train: TrainConfig, device: torch.device):
        """AdamW with weight decay on matrices only; fused kernels where the build has them."""
        decay = [p for p in self.parameters() if p.requires_grad and p.dim() >= 2]
        no_decay = [p for p in self.parameters() if p.requires_grad and p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": train.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        try:
            return torch.optim.AdamW(groups, lr=train.lr, betas=(0.9, 0.999), fused=True)
        except (RuntimeError, TypeError):
            return torch.optim.AdamW(groups, lr=train.lr, betas=(0.9, 0.999), foreach=True)


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
