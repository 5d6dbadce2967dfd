"""LDRLD (Local Dense Logit Relations) and the KD/DKD baselines; torch only."""

from ._torch_version import require_torch

require_torch()  # before anything touches torch.serialization: an older torch gets one sentence

# ruff: noqa: E402

from .checkpoint import (
    allow_in_weights_only,
    allow_methods_in_weights_only,
    extract_state_dict,
    load_checkpoint_into,
    read_checkpoint,
)
from .dkd import DKDLoss, dkd_terms
from .errors import CheckpointError, ClassCountError, ConfigError, DatasetError, DownloadError, InputError, cli_boundary
from .kd import KDLoss, kd_loss
from .ldrld import LDRLDLoss, adw_weights, ldrld_terms
from .losses import LOSSES, DistillLossSum, build_loss

__all__ = [
    "CheckpointError",
    "ClassCountError",
    "ConfigError",
    "DKDLoss",
    "DatasetError",
    "DistillLossSum",
    "DownloadError",
    "InputError",
    "KDLoss",
    "LDRLDLoss",
    "LOSSES",
    "adw_weights",
    "allow_in_weights_only",
    "allow_methods_in_weights_only",
    "build_loss",
    "cli_boundary",
    "dkd_terms",
    "extract_state_dict",
    "kd_loss",
    "ldrld_terms",
    "load_checkpoint_into",
    "read_checkpoint",
]
