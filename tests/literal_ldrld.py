"""LDRLD written literally from SPEC §1: one masked softmax KL over all C
classes per rank pair, plus the all-d term and RNTK. O(N * C * d^2); the test
oracle for ``ldrld_core.ldrld_terms`` and the baseline of tools/bench_loss.py."""
import math

import torch


def _kl_over(student, teacher, keep, T):
    """Per-row KL(teacher || student) of the softmaxes at T over the kept columns."""
    log_s = torch.log_softmax((student / T).masked_fill(~keep, float("-inf")), dim=1)
    log_t = torch.log_softmax((teacher / T).masked_fill(~keep, float("-inf")), dim=1)
    gap = torch.where(keep, log_t - log_s, torch.zeros_like(log_t))
    return (log_t.exp() * gap).sum(dim=1)


def literal_ldrld(student, teacher, depth, T, rank_by="student", adw=True):
    n, c = student.shape
    ranking = (student if rank_by == "student" else teacher).detach()
    top = ranking.argsort(dim=1, descending=True)[:, :depth]      # column r = rank r + 1
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
