"""LDRLD's two per-row terms as one autograd Function with a hand-derived backward.

At the shapes of classification batches (64 x 100) the cost is the number of
ops dispatched, not arithmetic: autograd would record ~35 and replay as many in
backward. The forward here runs without a graph and the backward needs ten
ops, because every gradient has a closed form. With ``x = (g_i - g_j) / T`` the
logit gap of pair ``(i, j)``, ``i`` ranked above ``j``:

* pair KL ``= σ(x_t) (x_t - x_s) + log σ(-x_t) - log σ(-x_s)``, so
  ``d / d x_s = σ(x_s) - σ(x_t)`` and ``d / d x_t = σ(x_t) σ(-x_t) (x_t - x_s)``;
* a softmax KL over a set of classes: ``d / d z_s = p_s - p_t`` and
  ``d / d z_t = p_t (log p_t - log p_s - KL)``.

Only the ``P = d(d-1)/2`` pairs above the diagonal are formed, by one matrix
product with the ``(2P, d)`` matrix of ``e_j - e_i`` and ``e_i - e_j`` rows
(``-x`` and ``x`` at once, so no negation pass), and the pair gradients flow
back through its transpose. The ranking (top-d of one model's logits) is an
index choice: no gradient.
"""

import torch
import torch.nn.functional as F

DROPPED = -1e30  # logit that removes a column from a softmax (finite: no NaN in 0 * log 0)


def pair_operators(weights: torch.Tensor, depth: int):
    """``(D, Dw, w)`` for the ``P = depth*(depth-1)/2`` pairs ``i < j`` in the
    order of ``torch.triu_indices``: ``D`` is ``(2P, depth)``, its row ``p`` is
    ``e_j - e_i`` and its row ``P + p`` is ``e_i - e_j`` (so ``D @ g`` stacks
    ``-x`` over ``x``); ``Dw = (e_i - e_j)^T diag(w)``, ``(depth, P)``, carries
    the pair gradients back to the classes; ``w`` holds the pair weights."""
    i, j = torch.triu_indices(depth, depth, offset=1)
    rows = torch.arange(i.numel())
    gap = weights.new_zeros(i.numel(), depth)  # row p: e_i - e_j
    gap[rows, i] = 1.0
    gap[rows, j] = -1.0
    return torch.cat((-gap, gap)), gap.t() * weights, weights


def _softmax_and_lse_(z):
    """Softmax of ``z`` over its last dim and the log-sum-exp, with one exp
    pass (the largest probability is at least 1/C, so its log is well
    conditioned). On the CPU the softmax is written over ``z``, which saves a
    fresh buffer (and its page faults) per call; elsewhere it gets its own."""
    top = z.amax(-1)
    p = torch.softmax(z, -1, out=z) if z.device.type == "cpu" else z.softmax(-1)
    return p, top - p.amax(-1).log()


class LDRLDRows(torch.autograd.Function):
    """``(local, rntk)`` per row, each already multiplied by ``T^2``.

    Inputs: student and teacher logits (N, C), float32 or float64, the top-d
    class indices (N, d) in rank order, the pair operators ``(D, Dw, w)`` of
    :func:`pair_operators` and T. The top-d work is laid out ``(d, 2, N)``
    (classes first) so that its reductions over a handful of classes run
    across rows, not along them.
    """

    @staticmethod
    def forward(ctx, student, teacher, top, D, Dw, w, T):
        n, c = student.shape
        d = top.shape[1]
        pairs = D.shape[0] // 2
        need_t = ctx.needs_input_grad[1]
        z = torch.stack((teacher, student))  # 2, N, C
        if T != 1.0:
            z.div_(T)
        top2 = top.expand(2, -1, -1)
        g = z.gather(2, top2).permute(2, 0, 1).contiguous()  # d, 2, N
        neg_x, x = torch.mm(D, g.view(d, -1)).view(2, pairs, 2, n).unbind(0)  # P, 2, N each
        log_sig_neg = F.logsigmoid(neg_x)  # log σ(-x)
        sig = torch.sigmoid(x)  # σ(x)
        (x_t, x_s), (l_t, l_s), sig_t = x.unbind(1), log_sig_neg.unbind(1), sig[:, 0]
        dx = x_t - x_s
        pair = torch.addcmul(l_t - l_s, sig_t, dx)  # P, N
        log_d = F.log_softmax(g, dim=0)
        p_d = log_d.exp()
        ld_t, ld_s = log_d.unbind(1)
        all_kl = torch.mul(p_d[:, 0], ld_t - ld_s).sum(0)
        scale_local = T * T / (pairs + 1)
        local = torch.addmv(all_kl, pair.t(), w, beta=scale_local, alpha=scale_local)
        if d == c:
            rntk = torch.zeros_like(local)
            p_r = dz = lse = None
        else:
            # The top-d columns get a finite, hugely negative logit: their
            # probability is exactly 0 and their logit gap 0, so they add
            # exactly nothing to the KL over the other classes.
            z.scatter_(2, top2, DROPPED)
            z_t, z_s = z.unbind(0)
            dz = z_t - z_s
            p_r, lse = _softmax_and_lse_(z)
            lse_t, lse_s = lse.unbind(0)
            rntk = torch.mul(p_r[0], dz).sum(-1).sub_(lse_t - lse_s)
            if T != 1.0:
                rntk.mul_(T * T)
        ctx.T, ctx.scale_local, ctx.c, ctx.dtype = T, scale_local, c, student.dtype
        teacher_only = (dx, log_d, all_kl, dz, lse, rntk) if need_t else (None,) * 6
        ctx.save_for_backward(top, Dw, p_d, sig, p_r, *teacher_only)
        return local, rntk

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_local, grad_rntk):
        # in the forward's precision: a backward() called inside an autocast region (bf16 training on a
        # CPU, fp16 on a GPU) would otherwise run the matrix products below in half precision
        with torch.autocast(grad_local.device.type, enabled=False):
            return LDRLDRows._backward(ctx, grad_local.to(ctx.dtype), grad_rntk.to(ctx.dtype))

    @staticmethod
    def _backward(ctx, grad_local, grad_rntk):
        top, Dw, p_d, sig, p_r, dx, log_d, all_kl, dz, lse, rntk = ctx.saved_tensors
        T, scale_local = ctx.T, ctx.scale_local
        local_scale = grad_local * (scale_local / T)
        rntk_scale = (grad_rntk * T).unsqueeze(-1)
        sig_t, sig_s = sig.unbind(1)
        p_t, p_s = p_d.unbind(1)
        grads = []
        for is_student in (True, False):
            if not ctx.needs_input_grad[0 if is_student else 1]:
                grads.append(None)
                continue
            if is_student:  # σ(x_s) - σ(x_t) per pair; p_s - p_t per class
                local_g = torch.addmm(p_s - p_t, Dw, sig_s - sig_t)  # d, N
            else:
                ld_t, ld_s = log_d.unbind(1)
                d_pair = sig_t * (1.0 - sig_t) * dx
                local_g = torch.addmm(p_t * (ld_t - ld_s - all_kl), Dw, d_pair)
            local_g = local_g.mul_(local_scale).t()  # N, d
            if p_r is None:  # depth == C: no other classes
                grad = local_g.new_zeros((local_g.shape[0], ctx.c))
            elif is_student:
                grad = (p_r[1] - p_r[0]).mul_(rntk_scale)
            else:
                gap = dz - (lse[0] - lse[1] + rntk / (T * T)).unsqueeze(-1)
                grad = (p_r[0] * gap).mul_(rntk_scale)
            grads.append(grad.scatter_(1, top, local_g))  # top-d columns: local term only
        return grads[0], grads[1], None, None, None, None, None
