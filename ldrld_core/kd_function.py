"""Hinton's KD per row as one autograd Function with its closed-form backward.

``rows = T^2 * KL(softmax(t / T) || softmax(s / T))``: the forward is two
log-softmaxes and one weighted sum over the classes, run without a graph; the
backward is ``T * (softmax(s / T) - softmax(t / T))`` scaled per row (and, when
the teacher needs a gradient, ``T * p_t * (log p_t - log p_s - KL)``). Autograd
would record and replay the division, both softmaxes and the KL's own ops; at a
classification batch (64 x 100) that bookkeeping, not arithmetic, is the cost.
"""

import torch
import torch.nn.functional as F


class KDRows(torch.autograd.Function):
    """``rows`` (N,), or with ``mean=True`` their mean as one scalar (no separate mean op: at a
    classification batch each op and its autograd node is a measurable part of the cost)."""

    @staticmethod
    def forward(ctx, student, teacher, T, mean=False):
        inv = 1.0 / T
        log_s = F.log_softmax(student * inv if T != 1.0 else student, dim=1)
        log_t = F.log_softmax(teacher * inv if T != 1.0 else teacher, dim=1)
        p_t = log_t.exp()
        kl = torch.linalg.vecdot(p_t, log_t - log_s)
        n = kl.shape[0]
        ctx.T, ctx.mean, ctx.n = T, mean, n
        ctx.save_for_backward(
            log_s, p_t, log_t if ctx.needs_input_grad[1] else None, kl if ctx.needs_input_grad[1] else None
        )
        if mean:
            return kl.sum() * (T * T / max(n, 1)) if n else kl.sum()
        return kl * (T * T) if T != 1.0 else kl

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        log_s, p_t, log_t, kl = ctx.saved_tensors
        scale = grad * (ctx.T / max(ctx.n, 1)) if ctx.mean else (grad * ctx.T).unsqueeze(1)
        grad_s = (log_s.exp() - p_t).mul_(scale) if ctx.needs_input_grad[0] else None
        grad_t = None
        if ctx.needs_input_grad[1]:
            grad_t = (p_t * (log_t - log_s - kl.unsqueeze(1))).mul_(scale)
        return grad_s, grad_t, None, None
