"""What every distillation loss shares: the call, the loss warm-up, full precision, row means.

Every loss takes ``forward(student_logits, teacher_logits, target=None,
weight=None, progress=None)`` and returns ``{'loss_...': scalar}``; the terms
are already multiplied by their weights, so a trainer sums the dict's values.
``weight`` is an optional per-row weight or bool mask (e.g. detection RoIs to
ignore); rows are averaged with it. Shapes, types and options are checked once
per call (host-side metadata); the values of the inputs (finite logits, labels
within the classes) off the hot path: on a CPU through the output, elsewhere on
the first and every ``check_every``-th call (``ldrld_core.validation.ValueChecks``).
``progress`` is how far training has come, in epochs as a float (every
integration passes the epochs done so far, counting the current iteration: the
last iteration of epoch ``e`` passes ``e``); it drives the loss warm-up.

Every loss, and the sum of losses, takes ``warmup`` (epochs, a float): the
distillation terms are multiplied by ``min(progress / warmup, 1)``, the
cross-entropy is not (as DKD's authors ramp their loss in). ``warmup=0`` (the
default of KD and LDRLD) and ``progress=None`` mean no ramp; DKD's default is
its paper's 20 epochs.

The terms are computed in float32 (float64 stays float64) with autocast
switched off, so half-precision training does not change the loss.
"""

from functools import wraps

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import ConfigError
from .validation import ValueChecks, check_logits, check_target, check_weight

REDUCTIONS = ("mean", "none")


def in_full_precision(rows):
    """``rows(s, t, ...)`` called outside autocast, on both logits in float32 (float64 stays)."""

    @wraps(rows)
    def run(student_logits, teacher_logits, *args, **kwargs):
        device_type = student_logits.device.type
        if torch.is_autocast_enabled(device_type):
            with torch.autocast(device_type, enabled=False):
                return run(student_logits, teacher_logits, *args, **kwargs)
        s = student_logits if student_logits.dtype in (torch.float32, torch.float64) else student_logits.float()
        t = teacher_logits if teacher_logits.dtype == s.dtype else teacher_logits.to(s.dtype)
        return rows(s, t, *args, **kwargs)

    return run


def reduce_rows(rows: torch.Tensor, reduction: str) -> torch.Tensor:
    """``rows`` itself (``'none'``) or their mean (``'mean'``; 0 for no rows)."""
    if reduction == "none":
        return rows
    return rows.mean() if rows.numel() else rows.sum()


def weighted_mean(rows: torch.Tensor, weight) -> torch.Tensor:
    if weight is None:
        return reduce_rows(rows, "mean")
    w = weight.to(rows.dtype)
    return (rows * w).sum() / w.sum().clamp_min(torch.finfo(rows.dtype).eps)


def check_weight_value(name, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}") from None
    if not value >= 0:
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    return value


class WarmsUp:
    """``warmup`` in epochs and its factor ``min(progress / warmup, 1)`` (1 without progress or warm-up)."""

    def _set_warmup(self, warmup) -> None:
        self.warmup = check_weight_value("warmup", warmup)

    def warmup_factor(self, progress) -> float:
        if progress is None or self.warmup == 0:
            return 1.0
        progress = float(progress)
        if not progress >= 0:
            raise ConfigError(f"progress must be the epochs done so far, a number >= 0, got {progress!r}")
        return min(progress / self.warmup, 1.0)


class DistillLoss(WarmsUp, nn.Module):
    """``forward`` checks the call once, computes ``_terms`` and checks the values (``ValueChecks``).

    ``_terms(student_logits, teacher_logits, target, weight, factor)`` gets the warm-up factor
    and multiplies its distillation terms by it.
    """

    needs_target = False

    def __init__(self, ce_weight: float = 1.0, check_every: int = 100, warmup: float = 0.0):
        super().__init__()
        self.ce_weight = check_weight_value("ce_weight", ce_weight)
        self._set_warmup(warmup)
        self.checks = ValueChecks(check_every)

    def forward(self, student_logits, teacher_logits, target=None, weight=None, progress=None) -> dict:
        check_logits(student_logits, teacher_logits, values=False)
        n, c = student_logits.shape
        if target is None and self.needs_target:
            raise ConfigError(f"{type(self).__name__} needs `target` (class indices of shape ({n},)); got None")
        if target is not None:
            check_target(target, n, c, values=False)
        if weight is not None:
            check_weight(weight, n)
        factor = self.warmup_factor(progress)
        try:
            out = self._terms(student_logits, teacher_logits, target, weight, factor)
        except (IndexError, RuntimeError):  # torch's own words for a label out of range: ours first
            self.checks.explain(target, c)
            raise
        self.checks.after(out, student_logits, teacher_logits, target)
        return out

    def _ce(self, student_logits, target, weight, out: dict) -> None:
        if target is not None and self.ce_weight > 0:
            rows = F.cross_entropy(student_logits.float(), target, reduction="none")
            out["loss_ce"] = self.ce_weight * weighted_mean(rows, weight)
