"""Distillation losses as ``nn.Module``s that return a dict of named terms.

Every loss takes ``forward(student_logits, teacher_logits, target=None,
weight=None, progress=None)`` and returns ``{'loss_...': scalar}``; the terms
are already multiplied by their weights, so a trainer sums the dict's values.
``weight`` is an optional per-row weight or bool mask (e.g. detection RoIs to
ignore); rows are averaged with it. The values of the inputs (finite logits,
labels within the classes) are checked off the hot path: on a CPU through the
output, elsewhere on the first and every ``check_every``-th call
(``ldrld_core.validation.ValueChecks``). ``progress`` is how far training has come,
in epochs as a float (every integration passes the epochs done so far,
counting the current iteration: the last iteration of epoch ``e`` passes
``e``); it drives the loss warm-up.

Every loss, and the sum of losses, takes ``warmup`` (epochs, a float): the
distillation terms are multiplied by ``min(progress / warmup, 1)``, the
cross-entropy is not (as DKD's authors ramp their loss in). ``warmup=0`` (the
default of KD and LDRLD) and ``progress=None`` mean no ramp; DKD's default is
its paper's 20 epochs.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import functional as LF
from .compiled import compiled
from .errors import ConfigError
from .validation import (
    ValueChecks,
    check_choice,
    check_depth,
    check_logits,
    check_target,
    check_temperature,
    check_weight,
)

NON_TARGET = ("rntk", "nckd")


def _weighted_mean(rows: torch.Tensor, weight) -> torch.Tensor:
    if weight is None:
        return rows.mean() if rows.numel() else rows.sum()
    w = weight.to(rows.dtype)
    return (rows * w).sum() / w.sum().clamp_min(torch.finfo(rows.dtype).eps)


def _scaled(factor: float, value: torch.Tensor) -> torch.Tensor:
    return value if factor == 1.0 else factor * value


def _check_call(student_logits, teacher_logits, target, weight, need_target, owner):
    """Shapes, types and options (host-side metadata only; the values: ``ValueChecks``)."""
    check_logits(student_logits, teacher_logits, values=False)
    n, c = student_logits.shape
    if target is None and need_target:
        raise ConfigError(f"{owner} needs `target` (class indices of shape ({n},)); got None")
    if target is not None:
        check_target(target, n, c, values=False)
    if weight is not None:
        check_weight(weight, n)


def _check_weight_value(name, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}") from None
    if not value >= 0:
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    return value


class _WarmsUp:
    """``warmup`` in epochs and its factor ``min(progress / warmup, 1)`` (1 without progress or warm-up)."""

    def _set_warmup(self, warmup) -> None:
        self.warmup = _check_weight_value("warmup", warmup)

    def warmup_factor(self, progress) -> float:
        if progress is None or self.warmup == 0:
            return 1.0
        progress = float(progress)
        if not progress >= 0:
            raise ConfigError(f"progress must be the epochs done so far, a number >= 0, got {progress!r}")
        return min(progress / self.warmup, 1.0)


class _DistillLoss(_WarmsUp, nn.Module):
    """``forward`` checks the call, computes ``_terms`` and checks the values (``ValueChecks``).

    ``_terms`` gets the warm-up factor and multiplies its distillation terms by it.
    """

    needs_target = False

    def __init__(self, ce_weight: float = 1.0, check_every: int = 100, warmup: float = 0.0):
        super().__init__()
        self.ce_weight = _check_weight_value("ce_weight", ce_weight)
        self._set_warmup(warmup)
        self.checks = ValueChecks(check_every)

    def forward(self, student_logits, teacher_logits, target=None, weight=None, progress=None) -> dict:
        _check_call(student_logits, teacher_logits, target, weight, self.needs_target, type(self).__name__)
        factor = self.warmup_factor(progress)
        try:
            out = self._terms(student_logits, teacher_logits, target, weight, factor)
        except (IndexError, RuntimeError):  # torch's own words for a label out of range: ours first
            self.checks.explain(target, student_logits.shape[1])
            raise
        self.checks.after(out, student_logits, teacher_logits, target)
        return out

    def _ce(self, student_logits, target, weight, out: dict) -> None:
        if target is not None and self.ce_weight > 0:
            rows = F.cross_entropy(student_logits.float(), target, reduction="none")
            out["loss_ce"] = self.ce_weight * _weighted_mean(rows, weight)


class LDRLDLoss(_DistillLoss):
    """LDRLD: ``ce_weight * CE + alpha * L_local + beta * L_rntk`` (docs/architecture.md, "The loss").

    Ablation switches: ``use_local`` / ``use_rntk`` (Table 15), ``adw`` (uniform
    pair weights when False), ``non_target='nckd'`` to replace RNTK by DKD's
    NCKD (Table 17; needs the target), ``rank_by='teacher'`` to rank classes by
    the teacher's logits. ``compile=True`` compiles the kernels with
    ``torch.compile`` and falls back to eager where that is unavailable.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        beta: float = 1.0,
        depth: int = 7,
        temperature: float = 4.0,
        ce_weight: float = 1.0,
        rank_by: str = "student",
        use_local: bool = True,
        use_rntk: bool = True,
        adw: bool = True,
        non_target: str = "rntk",
        compile: bool = False,
        check_every: int = 100,
        warmup: float = 0.0,
    ):
        super().__init__(ce_weight, check_every, warmup)
        # compile=True compiles the per-row terms with torch.compile (eager fallback when unavailable)
        self._compiled = compiled(LF.ldrld_rows_kernel) if compile else None
        self.alpha = _check_weight_value("alpha", alpha)
        self.beta = _check_weight_value("beta", beta)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 2:
            raise ConfigError(f"depth must be an integer >= 2, got {depth!r}")
        self.depth = depth
        self.temperature = check_temperature(temperature)
        check_choice("rank_by", rank_by, LF.RANK_BY)
        check_choice("non_target", non_target, NON_TARGET)
        self.rank_by, self.non_target = rank_by, non_target
        self.use_local, self.use_rntk, self.adw = bool(use_local), bool(use_rntk), bool(adw)
        self.needs_target = self.use_rntk and self.non_target == "nckd"

    def _rows(self, student_logits, teacher_logits):
        return LF.ldrld_rows(
            student_logits,
            teacher_logits,
            self.depth,
            self.temperature,
            self.rank_by,
            self.adw,
            kernel=self._compiled,
        )

    def extra_repr(self) -> str:
        return (
            f"alpha={self.alpha}, beta={self.beta}, depth={self.depth}, temperature={self.temperature}, "
            f"ce_weight={self.ce_weight}, rank_by={self.rank_by!r}, use_local={self.use_local}, "
            f"use_rntk={self.use_rntk}, adw={self.adw}, non_target={self.non_target!r}, warmup={self.warmup}"
        )

    def _terms(self, student_logits, teacher_logits, target, weight, factor) -> dict:
        check_depth(self.depth, student_logits.shape[1])
        out = {}
        self._ce(student_logits, target, weight, out)
        want_rntk = self.use_rntk and self.non_target == "rntk"
        if self.use_local or want_rntk:
            local, rntk = self._rows(student_logits, teacher_logits)
            if self.use_local:
                out["loss_local"] = _scaled(factor * self.alpha, _weighted_mean(local, weight))
            if want_rntk:
                out["loss_rntk"] = _scaled(factor * self.beta, _weighted_mean(rntk, weight))
        if self.use_rntk and self.non_target == "nckd":
            nckd = LF.nckd_rows(student_logits, teacher_logits, target, self.temperature)
            out["loss_nckd"] = factor * self.beta * _weighted_mean(nckd, weight)
        return out


class KDLoss(_DistillLoss):
    """Hinton's KD: ``ce_weight * CE + loss_weight * T^2 KL(p_t || p_s)``."""

    def __init__(self, loss_weight=1.0, temperature=4.0, ce_weight=1.0, check_every=100, warmup=0.0):
        super().__init__(ce_weight, check_every, warmup)
        self.loss_weight = _check_weight_value("loss_weight", loss_weight)
        self.temperature = check_temperature(temperature)

    def extra_repr(self) -> str:
        return (
            f"loss_weight={self.loss_weight}, temperature={self.temperature}, ce_weight={self.ce_weight}, "
            f"warmup={self.warmup}"
        )

    def _terms(self, student_logits, teacher_logits, target, weight, factor) -> dict:
        out = {}
        self._ce(student_logits, target, weight, out)
        if weight is None:
            kd = LF.kd_rows(student_logits, teacher_logits, self.temperature, mean=True)
        else:
            kd = _weighted_mean(LF.kd_rows(student_logits, teacher_logits, self.temperature), weight)
        out["loss_kd"] = _scaled(factor * self.loss_weight, kd)
        return out


class DKDLoss(_DistillLoss):
    """Decoupled KD: ``ce_weight * CE + min(progress / warmup, 1) * (alpha TCKD +
    beta NCKD)``, ``warmup`` in epochs (a float: 0.5 is half an epoch);
    ``progress=None`` means warm-up done.
    """

    needs_target = True

    def __init__(self, alpha=1.0, beta=8.0, temperature=4.0, warmup=20.0, ce_weight=1.0, check_every=100):
        super().__init__(ce_weight, check_every, warmup)
        self.alpha = _check_weight_value("alpha", alpha)
        self.beta = _check_weight_value("beta", beta)
        self.temperature = check_temperature(temperature)

    def extra_repr(self) -> str:
        return (
            f"alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}, "
            f"warmup={self.warmup}, ce_weight={self.ce_weight}"
        )

    def _terms(self, student_logits, teacher_logits, target, weight, factor) -> dict:
        out = {}
        self._ce(student_logits, target, weight, out)
        a, b = factor * self.alpha, factor * self.beta
        if weight is None:
            out["loss_tckd"], out["loss_nckd"] = LF.dkd_rows(
                student_logits, teacher_logits, target, self.temperature, (a, b)
            )
        else:
            tckd, nckd = LF.dkd_rows(student_logits, teacher_logits, target, self.temperature)
            out["loss_tckd"] = _scaled(a, _weighted_mean(tckd, weight))
            out["loss_nckd"] = _scaled(b, _weighted_mean(nckd, weight))
        return out


class DistillLossSum(_WarmsUp, nn.Module):
    """The sum of several distillation losses (Table 20: LDRLD + DKD, LDRLD + KD).

    ``DistillLossSum([dict(type='LDRLDLoss', ...), dict(type='DKDLoss', ce_weight=0, ...)], warmup=0)``.
    The cross-entropy must come from one member only; term names must not clash.
    ``warmup`` ramps every distillation term of the sum (``loss_ce`` excepted), on top
    of any warm-up a member has of its own (DKD's default 20 epochs included).
    """

    def __init__(self, losses, warmup=0.0):
        super().__init__()
        self._set_warmup(warmup)
        members = [build_loss(m) if isinstance(m, dict) else m for m in losses]
        if len(members) < 2:
            raise ConfigError(f"DistillLossSum needs at least two losses, got {len(members)}")
        with_ce = [type(m).__name__ for m in members if getattr(m, "ce_weight", 0) > 0]
        if len(with_ce) > 1:
            raise ConfigError(
                f"DistillLossSum: cross-entropy would be counted {len(with_ce)} times "
                f"({', '.join(with_ce)}); set ce_weight=0 on all members but one"
            )
        self.losses = nn.ModuleList(members)

    def forward(self, student_logits, teacher_logits, target=None, weight=None, progress=None) -> dict:
        out = {}
        for loss in self.losses:
            for name, value in loss(student_logits, teacher_logits, target, weight, progress).items():
                if name in out:
                    raise ConfigError(f"DistillLossSum: two members both return {name!r}")
                out[name] = value
        factor = self.warmup_factor(progress)
        if factor != 1.0:
            out = {name: value if name == "loss_ce" else factor * value for name, value in out.items()}
        return out

    def extra_repr(self) -> str:
        return f"warmup={self.warmup}"


LOSSES = {cls.__name__: cls for cls in (LDRLDLoss, KDLoss, DKDLoss, DistillLossSum)}


def build_loss(cfg) -> nn.Module:
    """Build a loss from ``dict(type='LDRLDLoss', **kwargs)``; a module passes through."""
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ConfigError(f"a distillation loss config must be a dict with a 'type' key, got {cfg!r}")
    cfg = copy.deepcopy(dict(cfg))
    name = cfg.pop("type")
    if name not in LOSSES:
        raise ConfigError(f"unknown distillation loss type {name!r}; expected one of {sorted(LOSSES)}")
    try:
        return LOSSES[name](**cfg)
    except TypeError as err:
        raise ConfigError(f"bad arguments for {name}: {err}") from None
