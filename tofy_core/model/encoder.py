"""The encoder, bottom to top: sinusoidal positions, attention (explicit on short CPU rows,
SDPA otherwise), pre-norm blocks, and the Encoder that can compute only the masked positions
in its last block. The latent model (latent.py) and the quality benchmark's MLM twin share it."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tofy_core.config import ModelConfig
from tofy_core.data.masking import QuerySelection

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
        nn.init.normal_(self.embed.weight, std=config.embed_std)
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
