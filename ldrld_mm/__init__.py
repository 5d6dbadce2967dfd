"""The MMEngine layer shared by detection (``ldrld_det``) and classification
(``ldrld_cls``): the atomic checkpoint backend ``'local_atomic'`` and the
weights-only allowance for MMEngine's log buffers (registered on import), CPU
mixed precision for ``--amp``, ``EpochSeedHook`` (a training epoch's random draws from
the run's seed and the epoch, for resumes that go on exactly), the student-only
model of a distiller config, and the command-line core of ``tools/train_det.py``, ``tools/test_det.py`` and
``tools/train_cls.py`` (:mod:`ldrld_mm.cli`)."""

from . import amp, fileio, seeding  # noqa: F401  (registrations)
from .fileio import BACKEND_NAME
from .models import student_model_cfg

__all__ = ["BACKEND_NAME", "student_model_cfg"]
