"""The losses by name (``build_loss``) and their sum (``DistillLossSum``).

One file per loss: ``ldrld.py`` (``LDRLDLoss``), ``kd.py`` (``KDLoss``), ``dkd.py``
(``DKDLoss``); what they share (the call, the warm-up) is in ``loss_base.py``.
"""

import copy

import torch.nn as nn

from .dkd import DKDLoss
from .errors import ConfigError
from .kd import KDLoss
from .ldrld import LDRLDLoss
from .loss_base import WarmsUp


class DistillLossSum(WarmsUp, nn.Module):
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
