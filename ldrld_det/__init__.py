"""MMDetection 3.x integration: RoI-logit distillation (LDRLD, KD, DKD) for
two-stage detectors. Configs load it with
``custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)``."""
from ldrld_core import allow_in_weights_only

from . import atomic_backend, bf16_optim_wrapper, plain_checkpoint_hook  # noqa: F401  (registrations)
from .distiller import RoIDistiller
from .roi_head import DistillRoIHead

# Checkpoint metadata may hold numpy scalars and arrays: let torch's
# weights_only loading (teachers, --resume) read them. MMEngine's log buffers
# are made plain by PlainCheckpointHook.
allow_in_weights_only()

__all__ = ["DistillRoIHead", "RoIDistiller"]
