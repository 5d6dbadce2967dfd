"""The detection tests run the toy configs (configs/toy/det/) on toy COCO data, one epoch."""

import importlib.util
import os

from ldrld_core.run_logs import read_scalars

from tool_helpers import CONFIGS, ROOT, TOY, run_tool  # noqa: F401  (re-exported for the tests)

# the tools/train.py and tools/test.py shipped inside the installed mmdet package
MMDET_TOOLS = os.path.join(os.path.dirname(importlib.util.find_spec("mmdet").origin), ".mim", "tools")
ONE_EPOCH = ("train_cfg.max_epochs=1", "train_cfg.val_interval=1", "default_hooks.logger.interval=1")


def toy_config(name):
    """``configs/toy/det/<name>.py``: student, teacher, ldrld, kd or dkd."""
    return os.path.join(TOY, "det", f"{name}.py")


def train_det(config, data_root, work_dir, *options, teacher=None, resume=False, **run):
    """``tools/train_det.py`` on ``config`` (a toy config's name, or a path) in a fresh interpreter; ``options``
    go to ``--cfg-options``, ``run`` to ``run_tool``."""
    path = config if os.sep in str(config) else toy_config(config)
    args = [path, "--data-root", data_root, "--work-dir", work_dir]
    args += ["--teacher-checkpoint", teacher] if teacher else []
    args += ["--resume"] if resume else []
    return run_tool("train_det.py", *args, *(["--cfg-options", *options] if options else []), **run)


def write_config(folder, name, base, body=""):
    """A config in ``folder`` that inherits ``base`` and adds ``body`` (a test's one change)."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(f"_base_ = [{base!r}]\n{body}\n")
    return path


def scalars(work_dir):
    """Every record MMEngine's LocalVisBackend logged under ``work_dir``."""
    return read_scalars(work_dir)
