"""What ``tools/train_cls.py`` adds to the shared command-line core (``ldrld_mm.cli``):
``--data-root`` for every classification loader, and where a classification config
keeps its teacher checkpoint. The data sets check their own layout when they are
built (``ldrld_cls.datasets``)."""

from ldrld_core.errors import ConfigError
from ldrld_mm.cli import LOADERS, Task


def apply_data_root(cfg, root, splits=None) -> None:
    if root is None:
        return
    touched = False
    for name in LOADERS:
        loader = cfg.get(name)
        if loader and isinstance(loader.get("dataset"), dict):
            loader["dataset"]["data_root"] = root
            touched = True
    if not touched:
        raise ConfigError("--data-root: the config has no train/val dataloader with a dataset to point at it")


def teacher_slot(cfg):
    teacher = cfg.get("model", {}).get("teacher")
    return (teacher, "checkpoint", "trust") if isinstance(teacher, dict) else None


def apply_fast(cfg):
    from .engine.fast import apply_fast as fast

    return fast(cfg)


CLASSIFICATION = Task(
    "classification",
    "configs/cls/cifar100/resnet32x4_resnet8x4_ldrld.py",
    apply_data_root,
    teacher_slot,
    fast=apply_fast,
)
