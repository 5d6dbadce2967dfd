"""MMDetection's own launchers run this toolkit's configs: the tools/train.py and
tools/test.py shipped inside the installed mmdet package train and evaluate the toy
detection configs (custom_imports brings in ldrld_det; the data root comes through
--cfg-options, as MMDetection users pass it)."""

import os
import subprocess
import sys

import ldrld_mm  # noqa: F401  (MMEngine checkpoints load weights-only)
from toy.det import make_toy_coco

from det_helpers import MMDET_TOOLS, toy_config, train_det
from tool_helpers import load_run_checkpoint


def _data_options(root):
    ann = os.path.join(root, "annotations", "instances_val2017.json")
    return [
        f"train_dataloader.dataset.data_root={root}",
        f"val_dataloader.dataset.data_root={root}",
        f"test_dataloader.dataset.data_root={root}",
        f"val_evaluator.ann_file={ann}",
        f"test_evaluator.ann_file={ann}",
    ]


def test_mmdetections_train_and_test_tools_run_a_distillation_config(tmp_path):
    root = make_toy_coco(str(tmp_path / "data"), num_train=2, num_val=2, image_size=(128, 96))  # one iteration
    teacher = tmp_path / "teacher"
    train_det("teacher", root, teacher, "train_cfg.max_epochs=1", "train_cfg.val_interval=1")
    work = tmp_path / "work"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    train = subprocess.run(
        [
            sys.executable,
            os.path.join(MMDET_TOOLS, "train.py"),
            toy_config("ldrld"),
            "--work-dir",
            str(work),
            "--cfg-options",
            *_data_options(root),
            "train_cfg.max_epochs=1",
            "train_cfg.val_interval=1",
            f"model.teacher_checkpoint={teacher / 'epoch_1.pth'}",
            "default_hooks.logger.interval=1",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=600,
    )
    log = train.stdout + train.stderr
    assert train.returncode == 0, log[-4000:]
    assert "RoIDistiller: loaded teacher weights from" in log and "loss_ldrld_local" in log
    checkpoint = load_run_checkpoint(work / "epoch_1.pth")
    assert checkpoint["meta"]["iter"] == 1 and not any(k.startswith("teacher") for k in checkpoint["state_dict"])
    test = subprocess.run(
        [
            sys.executable,
            os.path.join(MMDET_TOOLS, "test.py"),
            toy_config("ldrld"),
            str(work / "epoch_1.pth"),
            "--work-dir",
            str(tmp_path / "test"),
            "--cfg-options",
            *_data_options(root),
            f"model.teacher_checkpoint={teacher / 'epoch_1.pth'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=600,
    )
    assert test.returncode == 0, (test.stdout + test.stderr)[-4000:]
    assert "coco/bbox_mAP" in test.stdout + test.stderr
