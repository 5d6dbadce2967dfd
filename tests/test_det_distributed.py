"""Detection through torchrun: two CPU processes (gloo) run tools/train_det.py --launcher
pytorch on a toy distillation config. Each rank keeps its own frozen teacher outside DDP,
and the students' weights are the same on both ranks after the steps."""

import re

import torch

from toy.det import make_toy_coco

from det_helpers import toy_config, train_det
from tool_helpers import load_run_checkpoint, torchrun_tool


def test_two_process_gloo_run_of_a_distillation_config(tmp_path):
    data = make_toy_coco(str(tmp_path / "data"), num_train=8, num_val=2, image_size=(128, 96))
    teacher = tmp_path / "teacher"
    train_det(
        "teacher", data, teacher, "train_cfg.max_epochs=1", "train_cfg.val_interval=1", env={"OMP_NUM_THREADS": "1"}
    )
    config = tmp_path / "ldrld_probed.py"  # the toy LDRLD config, each rank saving what it holds at the end
    config.write_text(
        f"_base_ = [{toy_config('ldrld')!r}]\n"
        "custom_imports = dict(imports=['ldrld_det', 'dist_probe'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='RankWeightsHook')]\n"
    )
    work = tmp_path / "work"
    log = torchrun_tool(
        "train_det.py",
        config,
        "--data-root",
        data,
        "--work-dir",
        work,
        "--teacher-checkpoint",
        teacher / "epoch_1.pth",
        "--cfg-options",
        *("train_cfg.max_epochs=1", "train_cfg.val_interval=1", "default_hooks.logger.interval=1"),
        cwd=tmp_path,
    )
    assert re.search(r"Epoch\(train\) \[1\]\[2/2\]", log), log[-3000:]  # 8 images: 4 a rank, batch 2
    ranks = [torch.load(work / f"rank{r}.pth", map_location="cpu", weights_only=False) for r in (0, 1)]
    reference = load_run_checkpoint(teacher / "epoch_1.pth")["state_dict"]
    for rank in ranks:
        assert rank["wrapped"] == "MMDistributedDataParallel"
        assert rank["teacher_in_ddp"] is False and rank["teacher_training"] is False
        assert all(torch.equal(rank["teacher"][k], reference[k]) for k in rank["teacher"])  # frozen, loaded
    first, second = (r["student"] for r in ranks)
    assert first.keys() == second.keys()
    # weights equal across ranks (BN running statistics are each rank's own: buffers are not broadcast on CPU)
    assert all(torch.equal(first[k], second[k]) for k in first if "running" not in k and "num_batches" not in k)
