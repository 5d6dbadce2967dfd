"""Image classification with LDRLD: the KD literature's model zoo, CIFAR-100,
Tiny-ImageNet, ImageNet-1K and CUB-200 data sets in their standard layouts, and
(in ``ldrld_cls.engine``, which needs mmengine) the distiller, metric and hooks
that ``tools/train_cls.py`` runs on MMEngine's Runner."""

from .errors import ClassCountError, DatasetError, InputError, UnknownModelError
from .models import FAMILIES, build_classifier, list_models

__all__ = [
    "ClassCountError",
    "InputError",
    "DatasetError",
    "FAMILIES",
    "UnknownModelError",
    "build_classifier",
    "list_models",
]
