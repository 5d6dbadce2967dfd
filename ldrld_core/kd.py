"""Hinton's KD: ``KDLoss`` (``ce_weight * CE + loss_weight * T^2 KL(p_t || p_s)``) and ``kd_loss``.

The per-row term is written in plain torch ops and autograd differentiates it: a closed-form
backward saved less than 2 % of a whole training step (docs/benchmarks.md).
"""

import torch.nn.functional as F

from .loss_base import REDUCTIONS, DistillLoss, check_weight_value, in_full_precision, reduce_rows, weighted_mean
from .validation import ValueChecks, check_choice, check_logits, check_temperature

_CHECKS = ValueChecks()  # the value checks of kd_loss (ldrld_core.validation), shared by its calls


@in_full_precision
def kd_rows(s, t, temperature):
    """``T^2 * KL(softmax(t / T) || softmax(s / T))`` per row, without validation."""
    log_s = F.log_softmax(s / temperature, dim=1)
    log_t = F.log_softmax(t / temperature, dim=1)
    return (log_t.exp() * (log_t - log_s)).sum(1) * (temperature * temperature)


def kd_loss(student_logits, teacher_logits, temperature=4.0, reduction="mean"):
    """KD's term, ``T^2`` times the KL, per row (``'none'``) or its mean."""
    check_logits(student_logits, teacher_logits, values=False)
    check_choice("reduction", reduction, REDUCTIONS)
    out = reduce_rows(kd_rows(student_logits, teacher_logits, check_temperature(temperature)), reduction)
    _CHECKS.after({"kd": out.sum() if reduction == "none" else out}, student_logits, teacher_logits)
    return out


class KDLoss(DistillLoss):
    """Hinton's KD: ``ce_weight * CE + loss_weight * T^2 KL(p_t || p_s)``."""

    def __init__(self, loss_weight=1.0, temperature=4.0, ce_weight=1.0, check_every=100, warmup=0.0):
        super().__init__(ce_weight, check_every, warmup)
        self.loss_weight = check_weight_value("loss_weight", loss_weight)
        self.temperature = check_temperature(temperature)

    def extra_repr(self) -> str:
        return (
            f"loss_weight={self.loss_weight}, temperature={self.temperature}, ce_weight={self.ce_weight}, "
            f"warmup={self.warmup}"
        )

    def _terms(self, student_logits, teacher_logits, target, weight, factor) -> dict:
        out = {}
        self._ce(student_logits, target, weight, out)
        kd = weighted_mean(kd_rows(student_logits, teacher_logits, self.temperature), weight)
        out["loss_kd"] = factor * self.loss_weight * kd
        return out
