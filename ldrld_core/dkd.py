"""Decoupled KD: ``DKDLoss`` (``ce_weight * CE + ramp * (alpha TCKD + beta NCKD)``) and ``dkd_terms``.

With ``z = logits / T``, ``g`` the target class, ``p`` the softmax over all classes and ``q`` the
softmax over the classes other than ``g``:

- ``tckd = T^2 * KL((p_t[g], 1 - p_t[g]) || (p_s[g], 1 - p_s[g]))``;
- ``nckd = T^2 * KL(q_t || q_s)``.

Both come from two log-softmaxes of the stacked student and teacher logits, over all classes and
over all but ``g`` (``log(1 - p[g])`` is their difference at any other class), so large logits
stay finite and nothing needs the DKD authors' ``-1000`` mask. Plain torch ops, autograd's
backward: a closed-form one saved less than 2 % of a whole training step (docs/benchmarks.md).
"""

import torch

from .loss_base import REDUCTIONS, DistillLoss, check_weight_value, in_full_precision, reduce_rows, weighted_mean
from .validation import ValueChecks, check_choice, check_logits, check_target, check_temperature

_CHECKS = ValueChecks()  # the value checks of dkd_terms (ldrld_core.validation), shared by its calls


@in_full_precision
def dkd_rows(s, t, target, temperature):
    """DKD's ``(tckd, nckd)`` per row, each ``T^2`` times its KL, without validation."""
    c = s.shape[1]
    z = torch.stack((s, t)) / temperature  # 2, N, C
    index = target.view(1, -1, 1).expand(2, -1, 1)
    other = torch.remainder(target + 1, c).view(1, -1, 1).expand(2, -1, 1)  # any class but g
    log_p = torch.log_softmax(z, dim=2)
    log_q = torch.log_softmax(z.scatter(2, index, float("-inf")), dim=2)  # -inf at g
    (lgs, lgt) = log_p.gather(2, index).squeeze(2)  # log p[g]
    (lrs, lrt) = (log_p.gather(2, other) - log_q.gather(2, other)).squeeze(2)  # log (1 - p[g])
    tckd = lgt.exp() * (lgt - lgs) + lrt.exp() * (lrt - lrs)
    log_ratio = (log_q[1] - log_q[0]).scatter(1, target.view(-1, 1), 0.0)  # -inf - -inf at g: 0
    nckd = (log_q[1].exp() * log_ratio).sum(1)
    scale = temperature * temperature
    return tckd * scale, nckd * scale


def nckd_rows(student_logits, teacher_logits, target, temperature):
    """DKD's non-target term per row: ``T^2 * KL`` over every class but the ground truth."""
    return dkd_rows(student_logits, teacher_logits, target, temperature)[1]


def dkd_terms(student_logits, teacher_logits, target, temperature=4.0, reduction="mean"):
    """DKD's ``(tckd, nckd)``, each already multiplied by ``T^2``, before its
    ``alpha``/``beta`` and warm-up."""
    check_logits(student_logits, teacher_logits, values=False)
    check_target(target, *student_logits.shape, values=False)
    T = check_temperature(temperature)
    check_choice("reduction", reduction, REDUCTIONS)
    try:
        out = tuple(reduce_rows(rows, reduction) for rows in dkd_rows(student_logits, teacher_logits, target, T))
    except (IndexError, RuntimeError):
        _CHECKS.explain(target, student_logits.shape[1])
        raise
    _CHECKS.after({"tckd": out[0].sum(), "nckd": out[1].sum()}, student_logits, teacher_logits, target)
    return out


class DKDLoss(DistillLoss):
    """Decoupled KD: ``ce_weight * CE + min(progress / warmup, 1) * (alpha TCKD +
    beta NCKD)``, ``warmup`` in epochs (a float: 0.5 is half an epoch);
    ``progress=None`` means warm-up done.
    """

    needs_target = True

    def __init__(self, alpha=1.0, beta=8.0, temperature=4.0, warmup=20.0, ce_weight=1.0, check_every=100):
        super().__init__(ce_weight, check_every, warmup)
        self.alpha = check_weight_value("alpha", alpha)
        self.beta = check_weight_value("beta", beta)
        self.temperature = check_temperature(temperature)

    def extra_repr(self) -> str:
        return (
            f"alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}, "
            f"warmup={self.warmup}, ce_weight={self.ce_weight}"
        )

    def _terms(self, student_logits, teacher_logits, target, weight, factor) -> dict:
        out = {}
        self._ce(student_logits, target, weight, out)
        tckd, nckd = dkd_rows(student_logits, teacher_logits, target, self.temperature)
        out["loss_tckd"] = factor * self.alpha * weighted_mean(tckd, weight)
        out["loss_nckd"] = factor * self.beta * weighted_mean(nckd, weight)
        return out
