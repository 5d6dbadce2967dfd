"""Figure 5's measure: how far the student's class-correlation structure is from
the teacher's. For logits ``(N, C)`` over a data set, the class-correlation
matrix is the ``C x C`` Pearson correlation between the classes' logit columns;
the figure shows ``|corr(teacher) - corr(student)|`` and its mean."""

import torch

from .errors import ConfigError


def class_correlation(logits: torch.Tensor) -> torch.Tensor:
    """``C x C`` Pearson correlation between the columns of ``logits`` (N x C).
    A class whose logit never varies has correlation 0 with every other."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] < 2:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ConfigError(f"logits must be a 2-D tensor (N, C) with N >= 2 rows, got {shape}")
    x = logits.double()
    x = x - x.mean(0, keepdim=True)
    cov = x.T @ x / (x.shape[0] - 1)
    std = cov.diagonal().clamp_min(0).sqrt()
    denom = std[:, None] * std[None, :]
    return torch.where(denom > 0, cov / denom.clamp_min(1e-300), torch.zeros_like(cov))


def correlation_gap(teacher_logits: torch.Tensor, student_logits: torch.Tensor):
    """``(|corr_t - corr_s|, its mean)`` for logits of one data set."""
    if teacher_logits.shape != student_logits.shape:
        raise ConfigError(
            f"teacher and student logits must have the same shape, got "
            f"{tuple(teacher_logits.shape)} and {tuple(student_logits.shape)}"
        )
    gap = (class_correlation(teacher_logits) - class_correlation(student_logits)).abs()
    return gap, float(gap.mean())
