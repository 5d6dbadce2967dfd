"""Vectorised distillation terms: LDRLD's local dense relations and RNTK, KD, DKD.

Every function takes ``(N, C)`` student and teacher logits and returns per-row
values (``reduction='none'``) or their mean over rows (``'mean'``). Arithmetic is
float32 (float64 stays float64) with autocast switched off, so half-precision
training does not change the loss.
"""

from functools import lru_cache, wraps

import torch

from .dkd_function import DKDRows
from .kd_function import KDRows
from .ldrld_function import LDRLDRows, pair_operators
from .validation import ValueChecks, check_choice, check_depth, check_logits, check_target, check_temperature

RANK_BY = ("student", "teacher")
REDUCTIONS = ("mean", "none")
_CHECKS = ValueChecks()  # the functions' value checks (ldrld_core.validation), shared by all calls


def _full_precision(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def full_precision_pair(student_logits, teacher_logits):
    """Both logits in float32 (float64 stays float64), of one dtype."""
    s = _full_precision(student_logits)
    return s, teacher_logits if teacher_logits.dtype == s.dtype else teacher_logits.to(s.dtype)


def _in_full_precision(rows):
    """``rows(s, t, ...)`` called outside autocast, on both logits in float32 (float64 stays)."""

    @wraps(rows)
    def run(student_logits, teacher_logits, *args, **kwargs):
        device_type = student_logits.device.type
        if torch.is_autocast_enabled(device_type):
            with torch.autocast(device_type, enabled=False):
                return run(student_logits, teacher_logits, *args, **kwargs)
        return rows(*full_precision_pair(student_logits, teacher_logits), *args, **kwargs)

    return run


def _reduce(rows: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return rows
    return rows.mean() if rows.numel() else rows.sum()


def adw_weights(depth: int, adw: bool = True) -> torch.Tensor:
    """Weights of the ``depth*(depth-1)/2`` rank pairs (i < j, ranks 1-based), in
    the order of :func:`rank_pairs`: the Adaptive Decay Weight
    ``2 / (1.5 + |i-j|) * exp(-0.05 * (i+j))``, or 1 for every pair when ``adw``
    is off."""
    i, j = rank_pairs(depth)
    i, j = i.double() + 1, j.double() + 1
    if not adw:
        return torch.ones_like(i)
    return 2.0 / (1.5 + (j - i)) * torch.exp(-0.05 * (i + j))


def rank_pairs(depth: int):
    """0-based rank indices ``(i, j)`` of every pair with ``i < j``."""
    return torch.triu_indices(depth, depth, offset=1)


@lru_cache(maxsize=64)
def _pair_operators(depth: int, adw: bool, device: torch.device, dtype: torch.dtype):
    return tuple(x.to(device=device, dtype=dtype) for x in pair_operators(adw_weights(depth, adw), depth))


def top_classes(ranking: torch.Tensor, depth: int) -> torch.Tensor:
    """``(N, depth)`` column indices of each row's ``depth`` largest values, rank 1 first; of
    equal values the earlier column ranks higher, on every device. ``torch.topk`` promises no
    order among ties (and ties are common in bfloat16), so its choice is made exact: the top
    ``depth`` ordered by (value, column), and the slots that hold the smallest of those values
    (which may have more columns outside the top ``depth``) given to that value's first columns.
    A stable sort of every row gives the same indices at several times the cost on a CPU. No
    gradient flows through the choice."""
    r = ranking.detach()
    n, c = r.shape
    values, columns = r.topk(depth, dim=1)
    columns, order = columns.sort(dim=1)  # by column, then stably by value: (value desc, column asc)
    values, order = values.gather(1, order).sort(dim=1, descending=True, stable=True)
    columns = columns.gather(1, order)
    last = values[:, -1:]  # the boundary value; the last `ties` slots hold it
    ties = (values == last).sum(1, keepdim=True)
    key_dtype = torch.float64 if r.dtype == torch.float64 else torch.float32  # exact below 2^24 classes
    earliest = torch.arange(c, 0, -1, dtype=key_dtype, device=r.device)
    first = torch.where(r == last, earliest, 0).topk(depth, dim=1).indices  # columns holding it, in order
    at = torch.arange(depth, device=r.device).expand(n, depth) - (depth - ties)
    return torch.where(at >= 0, first.gather(1, at.clamp_min(0)), columns)


@_in_full_precision
def ldrld_rows(s, t, depth, temperature, rank_by="student", adw=True, kernel=None):
    """Per-row ``(local, rntk)`` as docs/architecture.md ("The loss") defines them, without
    validation; both ``(N,)``. One implementation on every device (:func:`torch_ldrld_rows`);
    ``kernel``: its ``torch.compile``-d core (``LDRLDLoss(compile=True)``)."""
    return torch_ldrld_rows(s, t, depth, temperature, rank_by, adw, kernel)


def torch_ldrld_rows(s, t, depth, temperature, rank_by="student", adw=True, kernel=None):
    """:func:`ldrld_rows` in torch ops; ``s``, ``t`` float32/float64 of one dtype. The pair terms use
    that a two-class softmax is a sigmoid of the logit gap, so they come from the ``N x d``
    gathered logits: O(N * (C + d^2)). The pair operators are built (and cached) here, outside
    ``kernel``, which ranks and runs ``LDRLDRows`` (default :func:`ldrld_rows_kernel`)."""
    D, Dw, w = _pair_operators(depth, bool(adw), s.device, s.dtype)
    return (kernel or ldrld_rows_kernel)(s, t, D, Dw, w, depth, float(temperature), rank_by == "teacher")


def ldrld_rows_kernel(s, t, D, Dw, w, depth, temperature, by_teacher):
    """The ranking (:func:`top_classes`) and ``ldrld_function.LDRLDRows``: what ``compile=True``
    hands to ``torch.compile``."""
    top = top_classes(t if by_teacher else s, depth)  # N, d; rank 1 first
    return LDRLDRows.apply(s, t, top, D, Dw, w, temperature)


def ldrld_terms(
    student_logits, teacher_logits, depth=7, temperature=4.0, rank_by="student", adw=True, reduction="mean"
):
    """LDRLD's two distillation terms ``(local, rntk)`` as README.md's loss section defines
    them, before ``alpha`` and ``beta``.

    ``local``: ``T^2 * mean_rows(sum_{i<j} w(i,j) KL_ij + KL_all_d) / (d(d-1)/2 + 1)``
    over the ``depth`` top classes ranked by the student's (or teacher's) logits;
    ``rntk``: ``T^2 * mean_rows(KL over the C - depth other classes)``.
    Costs O(N * (C + depth^2)).
    """
    check_logits(student_logits, teacher_logits, values=False)
    check_depth(depth, student_logits.shape[1])
    T = check_temperature(temperature)
    check_choice("rank_by", rank_by, RANK_BY)
    check_choice("reduction", reduction, REDUCTIONS)
    local, rntk = ldrld_rows(student_logits, teacher_logits, depth, T, rank_by, adw)
    out = _reduce(local, reduction), _reduce(rntk, reduction)
    _CHECKS.after({"local": out[0].sum(), "rntk": out[1].sum()}, student_logits, teacher_logits)
    return out


@_in_full_precision
def dkd_rows(s, t, target, temperature, scales=None):
    """DKD's ``(tckd, nckd)`` per row, each ``T^2`` times its KL (one autograd Function with a
    closed-form backward: ``ldrld_core.dkd_function``); with ``scales=(a, b)``, ``a`` times the
    mean of the first and ``b`` times the mean of the second, taken inside that Function."""
    return DKDRows.apply(s, t, target, float(temperature), scales)


def nckd_rows(student_logits, teacher_logits, target, temperature):
    """DKD's non-target term per row: ``T^2 * KL`` over every class but the ground truth."""
    return dkd_rows(student_logits, teacher_logits, target, temperature)[1]


@_in_full_precision
def kd_rows(s, t, temperature, mean=False):
    """Hinton's KD per row: ``T^2 * KL(softmax(t/T) || softmax(s/T))`` (one autograd
    Function with a closed-form backward: ``ldrld_core.kd_function``); with ``mean``
    their mean, taken inside that Function."""
    return KDRows.apply(s, t, float(temperature), mean)


def kd_loss(student_logits, teacher_logits, temperature=4.0, reduction="mean"):
    check_logits(student_logits, teacher_logits, values=False)
    check_choice("reduction", reduction, REDUCTIONS)
    out = _reduce(kd_rows(student_logits, teacher_logits, check_temperature(temperature)), reduction)
    _CHECKS.after({"kd": out.sum() if reduction == "none" else out}, student_logits, teacher_logits)
    return out


def dkd_terms(student_logits, teacher_logits, target, temperature=4.0, reduction="mean"):
    """DKD's ``(tckd, nckd)``, each already multiplied by ``T^2``, before its
    ``alpha``/``beta`` and warm-up."""
    check_logits(student_logits, teacher_logits, values=False)
    check_target(target, *student_logits.shape, values=False)
    T = check_temperature(temperature)
    check_choice("reduction", reduction, REDUCTIONS)
    try:
        out = tuple(_reduce(rows, reduction) for rows in dkd_rows(student_logits, teacher_logits, target, T))
    except (IndexError, RuntimeError):
        _CHECKS.explain(target, student_logits.shape[1])
        raise
    _CHECKS.after({"tckd": out[0].sum(), "nckd": out[1].sum()}, student_logits, teacher_logits, target)
    return out
