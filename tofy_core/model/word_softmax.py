"""Cross-entropy of predictions against every row of the target table, written for the
layout the CPU runs fastest (the loss's full-vocabulary contrastive softmax)."""

from __future__ import annotations

import torch


class _WordSoftmaxLoss(torch.autograd.Function):
    """Cross-entropy of M queries against every row of a table (plus an optional per-row bias),
    laid out words × queries: MKL runs `table @ queriesᵀ` ~1.5× faster than `queries @ tableᵀ`
    at these shapes, and a softmax written for that layout avoids transposing the M×vocab
    scores (a copy that cost more than the softmax itself); the exponentials are kept from
    the forward pass for the gradient. Also returns, without gradient, whether each label
    scored highest (ties count)."""

    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)
    def forward(ctx, queries, table, labels, bias):
        scores = table @ queries.T
        if bias is not None:
            scores.add_(bias.unsqueeze(1))
        label_scores = scores.gather(0, labels.unsqueeze(0)).squeeze(0)
        top = scores.amax(dim=0)
        hits = label_scores >= top
        scores.sub_(top).exp_()
        total = scores.sum(dim=0)
        loss = (total.log() + top - label_scores).mean()
        ctx.save_for_backward(scores, total, table, labels, queries)
        ctx.mark_non_differentiable(hits)
        return loss, hits

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_loss, _grad_hits):
        scores, total, table, labels, queries = ctx.saved_tensors
        # in place: a fresh M×vocab tensor cost more in page faults than the division (a
        # second backward through the same graph is refused by autograd's version check)
        probs = scores.div_(total)
        columns = torch.arange(labels.numel(), device=labels.device)
        probs[labels, columns] -= 1
        scale = grad_loss / labels.numel()
        grad_queries = (probs.T @ table) * scale
        grad_table = (probs @ queries) * scale if ctx.needs_input_grad[1] else None
        grad_bias = probs.sum(dim=1) * scale if ctx.needs_input_grad[3] else None
        return grad_queries, grad_table, None, grad_bias


def word_softmax_loss(
    queries: torch.Tensor,
    table: torch.Tensor,
    labels: torch.Tensor,
    bias: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`cross_entropy(queries @ tableᵀ + bias, labels)` and whether each label scored highest.
    The table gets a gradient only when it requires one (the teacher's table does not)."""
    return _WordSoftmaxLoss.apply(queries, table, labels, bias)
