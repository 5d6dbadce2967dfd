"""LDRLD: ``LDRLDLoss`` (``ce_weight * CE + alpha * L_local + beta * L_rntk``) and ``ldrld_terms``.

docs/architecture.md ("The loss") defines both terms. With ``x = (g_i - g_j) / T`` the logit gap
of rank pair ``(i, j)`` (``i`` ranked above ``j``), a two-class softmax is a sigmoid of the gap,
so a pair's KL is ``σ(x_t) (x_t - x_s) + log σ(-x_t) - log σ(-x_s)``: the pair terms come from
the ``N x d`` gathered logits and the whole loss costs O(N * (C + d^2)). The ranking (top-d of
one model's logits) is an index choice: no gradient. Plain torch ops, autograd's backward: a
closed-form one saved less than 2 % of a whole training step (docs/benchmarks.md).
"""

from functools import lru_cache

import torch
import torch.nn.functional as F

from .compiled import compiled
from .dkd import nckd_rows
from .errors import ConfigError
from .loss_base import REDUCTIONS, DistillLoss, check_weight_value, in_full_precision, reduce_rows, weighted_mean
from .validation import ValueChecks, check_choice, check_depth, check_logits, check_temperature

RANK_BY = ("student", "teacher")
NON_TARGET = ("rntk", "nckd")
DROPPED = -1e30  # logit that removes a column from a softmax (finite: no NaN in 0 * log 0)
_CHECKS = ValueChecks()  # the value checks of ldrld_terms (ldrld_core.validation), shared by its calls


def rank_pairs(depth: int):
    """0-based rank indices ``(i, j)`` of every pair with ``i < j``."""
    return torch.triu_indices(depth, depth, offset=1)


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


@lru_cache(maxsize=64)
def _pairs(depth: int, adw: bool, device: torch.device, dtype: torch.dtype):
    """``(i, j, w)`` on ``device``: the rank pairs and their weights in ``dtype``. Made outside
    inference mode even when the first call is inside it (an evaluation): cached inference tensors
    could not be saved for a later training step's backward."""
    with torch.inference_mode(False):
        i, j = rank_pairs(depth).to(device)
        return i, j, adw_weights(depth, adw).to(device=device, dtype=dtype)


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


def _kl_rows(z_s, z_t):
    """Per-row KL(softmax(z_t) || softmax(z_s)) over the last dim."""
    log_s, log_t = F.log_softmax(z_s, dim=-1), F.log_softmax(z_t, dim=-1)
    return (log_t.exp() * (log_t - log_s)).sum(-1)


def ranked_rows(s, t, i, j, w, depth, temperature, by_teacher):
    """The ranking and both terms per row (what ``LDRLDLoss(compile=True)`` compiles)."""
    top = top_classes(t if by_teacher else s, depth)  # N, d; rank 1 first
    z_s, z_t = s / temperature, t / temperature
    g_s, g_t = z_s.gather(1, top), z_t.gather(1, top)
    x_s, x_t = g_s[:, i] - g_s[:, j], g_t[:, i] - g_t[:, j]  # N, P
    pair = torch.sigmoid(x_t) * (x_t - x_s) + F.logsigmoid(-x_t) - F.logsigmoid(-x_s)
    scale = temperature * temperature
    local = (pair @ w + _kl_rows(g_s, g_t)) * (scale / (i.numel() + 1))
    if depth == s.shape[1]:  # no other classes: RNTK is 0 (in the graph, so that its gradient is 0)
        return local, local * 0.0
    # the top-d columns get a finite, hugely negative logit: their probability is exactly 0 and
    # their log-ratio 0, so they add exactly nothing to the KL over the other classes
    rntk = _kl_rows(z_s.scatter(1, top, DROPPED), z_t.scatter(1, top, DROPPED)) * scale
    return local, rntk


@in_full_precision
def ldrld_rows(s, t, depth, temperature, rank_by="student", adw=True, rows=ranked_rows):
    """Per-row ``(local, rntk)``, both ``(N,)``, without validation; ``rows``: :func:`ranked_rows`
    or its compiled form."""
    i, j, w = _pairs(depth, bool(adw), s.device, s.dtype)
    return rows(s, t, i, j, w, depth, float(temperature), rank_by == "teacher")


def ldrld_terms(
    student_logits, teacher_logits, depth=7, temperature=4.0, rank_by="student", adw=True, reduction="mean"
):
    """LDRLD's two distillation terms ``(local, rntk)`` before ``alpha`` and ``beta``.

    ``local``: ``T^2 * mean_rows(sum_{i<j} w(i,j) KL_ij + KL_all_d) / (d(d-1)/2 + 1)``
    over the ``depth`` top classes ranked by the student's (or teacher's) logits;
    ``rntk``: ``T^2 * mean_rows(KL over the C - depth other classes)``.
    """
    check_logits(student_logits, teacher_logits, values=False)
    check_depth(depth, student_logits.shape[1])
    T = check_temperature(temperature)
    check_choice("rank_by", rank_by, RANK_BY)
    check_choice("reduction", reduction, REDUCTIONS)
    local, rntk = ldrld_rows(student_logits, teacher_logits, depth, T, rank_by, adw)
    out = reduce_rows(local, reduction), reduce_rows(rntk, reduction)
    _CHECKS.after({"local": out[0].sum(), "rntk": out[1].sum()}, student_logits, teacher_logits)
    return out


class LDRLDLoss(DistillLoss):
    """LDRLD: ``ce_weight * CE + alpha * L_local + beta * L_rntk`` (docs/architecture.md, "The loss").

    Ablation switches: ``use_local`` / ``use_rntk`` (Table 15), ``adw`` (uniform
    pair weights when False), ``non_target='nckd'`` to replace RNTK by DKD's
    NCKD (Table 17; needs the target), ``rank_by='teacher'`` to rank classes by
    the teacher's logits. ``compile=True`` compiles the ranking and the terms with
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
        self._rows = compiled(ranked_rows) if compile else ranked_rows
        self.alpha = check_weight_value("alpha", alpha)
        self.beta = check_weight_value("beta", beta)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 2:
            raise ConfigError(f"depth must be an integer >= 2, got {depth!r}")
        self.depth = depth
        self.temperature = check_temperature(temperature)
        check_choice("rank_by", rank_by, RANK_BY)
        check_choice("non_target", non_target, NON_TARGET)
        self.rank_by, self.non_target = rank_by, non_target
        self.use_local, self.use_rntk, self.adw = bool(use_local), bool(use_rntk), bool(adw)
        self.needs_target = self.use_rntk and self.non_target == "nckd"

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
            local, rntk = ldrld_rows(
                student_logits, teacher_logits, self.depth, self.temperature, self.rank_by, self.adw, self._rows
            )
            if self.use_local:
                out["loss_local"] = factor * self.alpha * weighted_mean(local, weight)
            if want_rntk:
                out["loss_rntk"] = factor * self.beta * weighted_mean(rntk, weight)
        if self.use_rntk and self.non_target == "nckd":
            nckd = nckd_rows(student_logits, teacher_logits, target, self.temperature)
            out["loss_nckd"] = factor * self.beta * weighted_mean(nckd, weight)
        return out
