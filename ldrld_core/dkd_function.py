"""DKD's two terms per row as one autograd Function with its closed-form backward.

With ``z = logits / T``, ``g`` the target class, ``p`` the softmax over all classes and ``q`` the
softmax over the classes other than ``g``:

- ``tckd = T^2 * KL((p_t[g], 1 - p_t[g]) || (p_s[g], 1 - p_s[g]))``;
- ``nckd = T^2 * KL(q_t || q_s)``.

Both come from two log-softmaxes of the stacked student and teacher logits, over all classes and
over all but ``g`` (``log(1 - p[g])`` is their difference at any other class), so large logits
stay finite and nothing needs the DKD authors' ``-1000`` mask. The student's
gradient is ``T * (grad_tckd * (p_s[g] - p_t[g]) * (e_g - q_s) + grad_nckd * (q_s - q_t))``;
the teacher's, when asked for, is the same calculus on the teacher's side. At a classification
batch the autograd graph of the textbook form (masks, gathers, two KLs) costs more than its
arithmetic; here the forward runs without a graph and the backward is a handful of ops.
"""

import torch


class DKDRows(torch.autograd.Function):
    """``(tckd, nckd)`` per row, or with ``scales=(a, b)`` the two scalars ``a * mean(tckd)`` and
    ``b * mean(nckd)`` (the means and weights inside, no further ops)."""

    @staticmethod
    def forward(ctx, student, teacher, target, T, scales=None):
        n, c = student.shape
        z = torch.stack((student, teacher))
        if T != 1.0:
            z.mul_(1.0 / T)
        index = target.view(1, -1, 1).expand(2, -1, 1)
        other = torch.remainder(target + 1, c).view(1, -1, 1).expand(2, -1, 1)  # any class but g
        log_p = torch.log_softmax(z, dim=2)
        log_q = torch.log_softmax(z.scatter_(2, index, float("-inf")), dim=2)  # -inf at g
        log_g = log_p.gather(2, index).squeeze(2)  # log p[g]
        log_rest = (log_p.gather(2, other) - log_q.gather(2, other)).squeeze(2)  # log (1 - p[g])
        (lgs, lgt), (lrs, lrt) = log_g, log_rest
        pt_g = lgt.exp()
        tckd = pt_g * (lgt - lgs) + lrt.exp() * (lrt - lrs)
        q_t = log_q[1].exp()
        log_ratio = (log_q[1] - log_q[0]).scatter_(1, target.view(-1, 1), 0.0)
        nckd = torch.linalg.vecdot(q_t, log_ratio)
        ctx.T, ctx.scales = T, scales
        need_t = ctx.needs_input_grad[1]
        ctx.save_for_backward(
            target,
            log_q[0],
            q_t,
            lgs.exp() - pt_g,
            log_ratio if need_t else None,
            nckd if need_t else None,
            pt_g if need_t else None,
            (lgt - lrt) - (lgs - lrs) if need_t else None,
        )
        if scales is not None:
            per_row = T * T / max(n, 1)
            return tckd.sum() * (scales[0] * per_row), nckd.sum() * (scales[1] * per_row)
        return (tckd * (T * T), nckd * (T * T)) if T != 1.0 else (tckd, nckd)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_tckd, grad_nckd):
        target, log_qs, q_t, delta, log_ratio, nckd, pt_g, logit_gap = ctx.saved_tensors
        index = target.view(-1, 1)
        T, scales = ctx.T, ctx.scales
        if scales is None:
            g1, g2 = grad_tckd * T, grad_nckd * T
        else:  # one upstream value for all rows
            n = q_t.shape[0]
            g1 = (grad_tckd * (scales[0] * T / max(n, 1))).expand(n)
            g2 = (grad_nckd * (scales[1] * T / max(n, 1))).expand(n)
        grad_s = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_s = log_qs.exp().mul_((g2 - g1 * delta).unsqueeze(1)).sub_(q_t * g2.unsqueeze(1))
            grad_s.scatter_(1, index, (g1 * delta).unsqueeze(1))
        if ctx.needs_input_grad[1]:
            tc = g1 * pt_g * (1 - pt_g) * logit_gap
            grad_t = (log_ratio - nckd.unsqueeze(1)).mul_(q_t).mul_(g2.unsqueeze(1)).sub_(q_t * tc.unsqueeze(1))
            grad_t.scatter_(1, index, tc.unsqueeze(1))
        return grad_s, grad_t, None, None, None
