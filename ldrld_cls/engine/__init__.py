"""MMEngine integration: importing this package registers the distiller, the
data preprocessor, the data sets, the metric, the hooks, the student-only
optimizer constructor and the atomic checkpoint backend (configs name it in
``custom_imports``)."""
from mmengine.registry import DATASETS

from ..datasets import CIFAR100, CUB200, ImageNetFolder, TinyImageNet
from . import checkpoint_io  # noqa: F401  (atomic backend, weights-only types)
from .checkpoint_io import BACKEND_NAME, find_resume_checkpoint
from .distiller import ClsDistiller
from .hooks import AccuracyReportHook, ClassCountCheckHook, EfficiencyReportHook
from .metric import TopKAccuracy
from .optim import StudentOptimWrapperConstructor
from .preprocessor import ClsDataPreprocessor

for _dataset in (CIFAR100, ImageNetFolder, TinyImageNet, CUB200):
    DATASETS.register_module(module=_dataset, force=True)

__all__ = ["AccuracyReportHook", "BACKEND_NAME", "ClassCountCheckHook", "ClsDataPreprocessor", "ClsDistiller",
           "EfficiencyReportHook", "StudentOptimWrapperConstructor", "TopKAccuracy", "find_resume_checkpoint"]
