"""LDRLD's two per-row terms as one autograd Function with a hand-derived backward.

Autograd would record ~35 small ops and replay as many in backward; at the
shapes of classification batches (64 x 100) that bookkeeping, not arithmetic,
is the cost. The forward here runs without a graph and the backward needs a
dozen ops, because every gradient has a closed form:

* pair (i, j), ``x = (z_i - z_j) / T``: ``d KL / d x_s = σ(x_s) - σ(x_t)`` and
  ``d KL / d x_t = σ(x_t) (1 - σ(x_t)) (x_t - x_s)``;
* a softmax KL over a set of classes: ``d / d z_s = p_s - p_t`` and
  ``d / d z_t = p_t (log p_t - log p_s - KL)``.

The ranking (top-d of one model's logits) is an index choice: no gradient.
"""
import torch
import torch.nn.functional as F

DROPPED = -1e30  # logit that removes a column from a softmax (finite: no NaN in 0 * log 0)


def pair_weight_matrix(weights: torch.Tensor, depth: int) -> torch.Tensor:
    """``d x d`` matrix with ``w(i, j)`` above the diagonal and 0 elsewhere."""
    W = weights.new_zeros(depth, depth)
    i, j = torch.triu_indices(depth, depth, offset=1)
    W[i, j] = weights
    return W


def _softmax_kl(log_t, log_s):
    """``(KL rows, p_t, gap)`` of ``KL(softmax_t || softmax_s)`` from log-probs."""
    gap = log_t - log_s
    p_t = log_t.exp()
    return (p_t * gap).sum(-1), p_t, gap


class LDRLDRows(torch.autograd.Function):
    """``(local, rntk)`` per row, each already multiplied by ``T^2``.

    Inputs: student and teacher logits (N, C), float32 or float64, the top-d
    class indices (N, d) in rank order, the pair weight matrix (d, d) and T.
    """

    @staticmethod
    def forward(ctx, student, teacher, top, W, T):
        n, c = student.shape
        d = top.shape[1]
        z = torch.stack((teacher, student)) / T                       # 2, N, C
        g = z.gather(2, top.expand(2, -1, -1))                        # 2, N, d
        X = g.unsqueeze(-1) - g.unsqueeze(-2)                         # 2, N, d, d: x_ij = g_i - g_j
        log_sig_neg = F.logsigmoid(-X)
        sig = torch.sigmoid(X)
        x_t, x_s = X
        pair = (log_sig_neg[0] - log_sig_neg[1] + sig[0] * (x_t - x_s)) * W
        log_d = F.log_softmax(g, dim=-1)
        all_kl, p_t_d, gap_d = _softmax_kl(log_d[0], log_d[1])
        scale_local = T * T / (d * (d - 1) // 2 + 1)
        local = scale_local * (pair.sum((-1, -2)) + all_kl)
        if d == c:
            rntk = torch.zeros_like(local)
            log_r = None
        else:
            # The top-d columns get a finite, hugely negative logit: their
            # probability is exactly 0 and their log-probability the same huge
            # number for teacher and student, so their KL terms are exactly 0.
            log_r = F.log_softmax(z.scatter(2, top.expand(2, -1, -1), DROPPED), dim=-1)
            rntk_raw, _, _ = _softmax_kl(log_r[0], log_r[1])
            rntk = (T * T) * rntk_raw
        ctx.T, ctx.scale_local, ctx.full = T, scale_local, d == c
        ctx.save_for_backward(top, W, X, sig, log_d, all_kl, log_r, rntk)
        return local, rntk

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_local, grad_rntk):
        top, W, X, sig, log_d, all_kl, log_r, rntk = ctx.saved_tensors
        T, scale_local = ctx.T, ctx.scale_local
        need_s, need_t = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grads = []
        for want, is_student in ((need_s, True), (need_t, False)):
            if not want:
                grads.append(None)
                continue
            if is_student:   # d/dx_s of the pair KL, d/dz_s of a softmax KL
                D = W * (sig[1] - sig[0])
                local_g = D.sum(-1) - D.sum(-2) + (log_d[1].exp() - log_d[0].exp())
            else:
                D = W * sig[0] * (1 - sig[0]) * (X[0] - X[1])
                p_t = log_d[0].exp()
                local_g = D.sum(-1) - D.sum(-2) + p_t * (log_d[0] - log_d[1] - all_kl.unsqueeze(-1))
            local_g = local_g * (grad_local * (scale_local / T)).unsqueeze(-1)
            if ctx.full:
                grad = local_g.new_zeros(local_g.shape)
            else:
                if is_student:
                    rows = log_r[1].exp() - log_r[0].exp()
                else:
                    rows = log_r[0].exp() * (log_r[0] - log_r[1] - (rntk / (T * T)).unsqueeze(-1))
                grad = rows * (grad_rntk * T).unsqueeze(-1)
            grads.append(grad.scatter(1, top, local_g))  # top-d columns: local term only
        return grads[0], grads[1], None, None, None
