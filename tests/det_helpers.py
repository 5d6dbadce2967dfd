"""The detection tests run the toy configs (configs/toy/det/) on toy COCO data, one epoch."""

import os

from ldrld_core.run_logs import read_scalars

from tool_helpers import CONFIGS, ROOT, TOY, run_tool  # noqa: F401  (re-exported for the tests)

ONE_EPOCH = ("train_cfg.max_epochs=1", "train_cfg.val_interval=1", "default_hooks.logger.interval=1")


def toy_config(name):
    """``configs/toy/det/<name>.py``: student, teacher, ldrld, kd or dkd."""
    return os.path.join(TOY, "det", f"{name}.py")


def write_config(folder, name, base, body=""):
    """A config in ``folder`` that inherits ``base`` and adds ``body`` (a test's one change)."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(f"_base_ = [{base!r}]\n{body}\n")
    return path


def scalars(work_dir):
    """Every record MMEngine's LocalVisBackend logged under ``work_dir``."""
    return read_scalars(work_dir)
