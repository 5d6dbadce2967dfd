"""MMDetection 3.x integration: RoI-logit distillation (LDRLD, KD, DKD) for
two-stage detectors. Configs load it with
``custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)``."""
from mmengine.logging import HistoryBuffer

from ldrld_core import allow_methods_in_weights_only

from . import atomic_backend, bf16_optim_wrapper  # noqa: F401  (registrations)
from .distiller import RoIDistiller
from .roi_head import DistillRoIHead

# Every MMEngine checkpoint holds the Runner's log buffers (HistoryBuffer, with
# numpy arrays and methods pickled through getattr): let torch's weights_only
# loading, used for teachers and by MMEngine's --resume, read exactly those.
allow_methods_in_weights_only(HistoryBuffer)

__all__ = ["DistillRoIHead", "RoIDistiller"]
