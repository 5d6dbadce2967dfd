"""MMDetection 3.x integration: RoI-logit distillation (LDRLD, KD, DKD) for
two-stage detectors. Configs load it with
``custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)``;
it registers the shared MMEngine layer (``ldrld_mm``) as well."""

import ldrld_mm  # noqa: F401  (atomic checkpoint backend, weights-only MMEngine checkpoints, CPU --amp)

from .distiller import RoIDistiller
from .roi_head import DistillCascadeRoIHead, DistillRoIHead, SampledRoIs

__all__ = ["DistillCascadeRoIHead", "DistillRoIHead", "RoIDistiller", "SampledRoIs"]
