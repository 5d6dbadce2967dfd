"""MMEngine integration: importing this package registers the distiller, the
data preprocessor, the data sets, the metric, the hooks (and the retired
optimizer constructor's name, which tells old configs what to write), and the
shared MMEngine layer (``ldrld_mm``: the atomic checkpoint backend, weights-only
MMEngine checkpoints, CPU ``--amp``); configs name it in ``custom_imports``."""

from mmengine.registry import DATASETS

import ldrld_mm  # noqa: F401  (registrations)

from ..datasets import CIFAR100, CUB200, ImageNetFolder, TinyImageNet
from . import optim  # noqa: F401  (registers the retired name)
from .distiller import ClsDistiller
from .fast import FastPathHook, OnDevice, apply_fast
from .hooks import AccuracyReportHook, ClassCountCheckHook, EfficiencyReportHook
from .metric import TopKAccuracy
from .preprocessor import ClsDataPreprocessor

for _dataset in (CIFAR100, ImageNetFolder, TinyImageNet, CUB200):
    DATASETS.register_module(module=_dataset, force=True)

__all__ = [
    "AccuracyReportHook",
    "ClassCountCheckHook",
    "ClsDataPreprocessor",
    "ClsDistiller",
    "EfficiencyReportHook",
    "FastPathHook",
    "OnDevice",
    "TopKAccuracy",
    "apply_fast",
]
