"""The forms the losses are checked and timed against (the tests and tools/bench_*.py):

- ``literal_ldrld``: LDRLD written literally from its definition (docs/architecture.md, "The
  loss"), one masked softmax KL over all C classes per rank pair, plus the all-d term and RNTK;
  O(N * C * d^2). It ranks with a stable sort: of tied logits the earlier column ranks higher;
- ``autograd_ldrld``: the O(N * (C + d^2)) form (a pair's KL from the sigmoid of its logit gap)
  in plain torch ops, with autograd's own backward, written apart from ``ldrld_core.ldrld`` (the
  closed-form backward that ``ldrld_core`` once had was timed against it: docs/benchmarks.md);
- ``standard_kd``: Hinton's KD as the KD literature's code and mdistiller write it,
  ``F.kl_div(F.log_softmax(s / T), F.softmax(t / T), 'batchmean') * T * T``;
- ``authors_dkd``: DKD as the DKD authors' code (mdistiller's ``dkd_loss``) computes
  it: softmaxes, target/non-target masks made with ``scatter``, the two-column
  concatenation, and the non-target softmax with the target pushed away by -1000.
"""

import math

import torch
import torch.nn.functional as F


def _kl_over(student, teacher, keep, T):
    """Per-row KL(teacher || student) of the softmaxes at T over the kept columns."""
    log_s = torch.log_softmax((student / T).masked_fill(~keep, float("-inf")), dim=1)
    log_t = torch.log_softmax((teacher / T).masked_fill(~keep, float("-inf")), dim=1)
    gap = torch.where(keep, log_t - log_s, torch.zeros_like(log_t))
    return (log_t.exp() * gap).sum(dim=1)


def literal_ldrld(student, teacher, depth, T, rank_by="student", adw=True):
    n, c = student.shape
    ranking = (student if rank_by == "student" else teacher).detach()
    top = ranking.argsort(dim=1, descending=True, stable=True)[:, :depth]  # column r = rank r + 1; ties: earlier first
    none = torch.zeros(n, c, dtype=torch.bool, device=student.device)
    total = torch.zeros(n, dtype=student.dtype, device=student.device)
    pairs = 0
    for a in range(depth):
        for b in range(a + 1, depth):
            keep = none.scatter(1, top[:, [a, b]], True)
            i, j = a + 1, b + 1
            w = 2.0 / (1.5 + abs(i - j)) * math.exp(-0.05 * (i + j)) if adw else 1.0
            total = total + w * _kl_over(student, teacher, keep, T)
            pairs += 1
    top_d = none.scatter(1, top, True)
    total = total + _kl_over(student, teacher, top_d, T)
    local = T * T * total.mean() / (pairs + 1)
    if depth == c:
        rntk = student.sum() * 0
    else:
        rntk = T * T * _kl_over(student, teacher, ~top_d, T).mean()
    return local, rntk


def autograd_ldrld(student, teacher, depth, T, adw=True):
    """``(local, rntk)`` means, the student ranking, each pair's KL that of two Bernoulli
    distributions ``sigmoid(gap / T)``; autograd differentiates it. It ranks with
    ``ldrld_core``'s own ``top_classes``; it differs from ``LDRLDLoss`` in its RNTK (a masked
    softmax) and in running in the inputs' own precision."""
    from ldrld_core.ldrld import top_classes

    n, c = student.shape
    top = top_classes(student, depth)
    g_s, g_t = student.gather(1, top) / T, teacher.gather(1, top) / T
    i, j = torch.triu_indices(depth, depth, offset=1, device=student.device)
    x_s, x_t = g_s[:, i] - g_s[:, j], g_t[:, i] - g_t[:, j]
    pair = torch.sigmoid(x_t) * (x_t - x_s) + F.logsigmoid(-x_t) - F.logsigmoid(-x_s)
    w = 2.0 / (1.5 + (j - i).to(student.dtype)) * torch.exp(-0.05 * (i + j + 2).to(student.dtype))
    w = w if adw else torch.ones_like(w)
    log_d_s, log_d_t = F.log_softmax(g_s, dim=1), F.log_softmax(g_t, dim=1)
    all_d = (log_d_t.exp() * (log_d_t - log_d_s)).sum(1)
    local = T * T * ((pair * w).sum(1) + all_d) / (i.numel() + 1)
    if depth == c:
        return local.mean(), student.sum() * 0
    rest = torch.ones(n, c, dtype=torch.bool, device=student.device).scatter(1, top, False)
    return local.mean(), T * T * _kl_over(student, teacher, rest, T).mean()


def standard_kd(student, teacher, T):
    return F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1), reduction="batchmean") * T * T


def _masks(logits, target):
    gt = torch.zeros_like(logits).scatter_(1, target.reshape(-1, 1), 1).bool()
    other = torch.ones_like(logits).scatter_(1, target.reshape(-1, 1), 0).bool()
    return gt, other


def _two_columns(p, gt, other):
    return torch.cat([(p * gt).sum(dim=1, keepdim=True), (p * other).sum(dim=1, keepdim=True)], dim=1)


def authors_dkd(student, teacher, target, alpha, beta, T):
    """``alpha * TCKD + beta * NCKD``, each ``T^2`` times the batch-summed KL over the batch size."""
    gt, other = _masks(student, target)
    p_s = _two_columns(F.softmax(student / T, dim=1), gt, other)
    p_t = _two_columns(F.softmax(teacher / T, dim=1), gt, other)
    tckd = F.kl_div(torch.log(p_s), p_t, reduction="sum") * T**2 / target.shape[0]
    p_t2 = F.softmax(teacher / T - 1000.0 * gt, dim=1)
    log_p_s2 = F.log_softmax(student / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_p_s2, p_t2, reduction="sum") * T**2 / target.shape[0]
    return alpha * tckd + beta * nckd
