"""Distributed training through torchrun: two CPU processes (gloo) run
tools/train_cls.py --launcher pytorch on generated CIFAR-100 data."""

import json
import os
import re

from tool_helpers import CONFIGS, load_run_checkpoint, torchrun_tool, two_rank_cls_inputs

CONFIG = os.path.join(CONFIGS, "cls", "cifar100", "resnet56_resnet20_ldrld.py")


def test_two_process_gloo_run_through_torchrun(tmp_path):
    data, teacher = two_rank_cls_inputs(tmp_path)
    work_dir = tmp_path / "work"
    log = torchrun_tool(
        "train_cls.py",
        CONFIG,
        "--data-root",
        data,
        "--work-dir",
        work_dir,
        "--teacher-checkpoint",
        teacher,
        "--cfg-options",
        *("train_cfg.max_epochs=1", "train_dataloader.batch_size=2", "val_dataloader.batch_size=2"),
        *("train_dataloader.num_workers=0", "val_dataloader.num_workers=0", "default_hooks.logger.interval=1"),
        "randomness.seed=0",
        cwd=tmp_path,
        timeout=240,
    )
    # each of the two processes sees half of the 12 images: 3 iterations of batch 2
    assert re.search(r"Epoch\(train\) \[1\]\[3/3\]", log), log[-3000:]
    assert "accuracy/top1" in log
    accuracy = json.loads((work_dir / "accuracy.json").read_text())
    assert accuracy["last"]["epoch"] == 1
    state = load_run_checkpoint(work_dir / "epoch_1.pth")["state_dict"]
    assert any(k.startswith("student.") for k in state) and not any(k.startswith("module.") for k in state)
