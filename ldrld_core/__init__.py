"""LDRLD (Local Dense Logit Relations) and the KD/DKD baselines; torch only."""
from .checkpoint import (CheckpointError, allow_in_weights_only, allow_methods_in_weights_only,
                         extract_state_dict, load_teacher_checkpoint, read_checkpoint)
from .functional import adw_weights, dkd_terms, kd_loss, ldrld_terms
from .losses import LOSSES, DKDLoss, DistillLossSum, KDLoss, LDRLDLoss, build_loss

__all__ = [
    "CheckpointError", "DKDLoss", "DistillLossSum", "KDLoss", "LDRLDLoss", "LOSSES", "adw_weights",
    "allow_in_weights_only", "allow_methods_in_weights_only", "build_loss", "dkd_terms",
    "extract_state_dict", "kd_loss", "ldrld_terms", "load_teacher_checkpoint", "read_checkpoint",
]
