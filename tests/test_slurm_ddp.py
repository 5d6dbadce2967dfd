"""Distributed training through Slurm: tools/sweep.py --executor slurm --tasks-per-run 2 runs one job of
two Slurm tasks, each a rank (--launcher slurm: ranks and rendezvous from Slurm's environment, gloo on
the CPU), of the detection distiller and of the classification distiller. Both ranks end with the same
student weights, each rank's teacher stays frozen outside DDP, and the checkpoint rank 0 wrote resumes
in a single-process run."""

import os
import re

import pytest
import torch

from toy.det import make_toy_coco

from det_helpers import toy_config, train_det
from slurm_helpers import attempts, job_env, require_cluster
from tool_helpers import CONFIGS, load_run_checkpoint, run_tool, two_rank_cls_inputs

CLS_CONFIG = os.path.join(CONFIGS, "cls", "cifar100", "resnet56_resnet20_ldrld.py")
PROBE = "custom_hooks = [dict(type='RankWeightsHook')]\n"  # tests/dist_probe.py: each rank saves what it holds


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """A Slurm cluster answers (tools/slurm_local.sh up); skipped without one, failed under CI=true."""
    require_cluster()


def ddp_sweep(config, data, teacher, out, *options):
    """One run of ``config`` as a 2-task Slurm job; its work dir."""
    run_tool(
        "sweep.py",
        config,
        "--seeds",
        "0",
        "--data-root",
        data,
        "--teacher-checkpoint",
        teacher,
        "--out",
        out,
        "--executor",
        "slurm",
        "--tasks-per-run",
        "2",
        "--threads",
        "1",
        "--extra",
        "--cfg-options",
        *options,
        env=job_env(),
        timeout=300,
    )
    (work,) = [os.path.dirname(p) for p in out.glob("*/default/seed0/done.json")]
    return work


def assert_ranks_agree(work, teacher_state):
    log = open(os.path.join(work, "sweep.log")).read()
    assert "Distributed training: True" in log and "--launcher slurm" in attempts(os.path.join(work, "sweep.log"))[0]
    assert os.path.isfile(os.path.join(work, "sweep.rank1.log"))  # rank 1's own output
    ranks = [torch.load(os.path.join(work, f"rank{r}.pth"), map_location="cpu", weights_only=False) for r in (0, 1)]
    for rank in ranks:
        assert rank["wrapped"] == "MMDistributedDataParallel"
        # each rank holds its teacher outside DDP (ldrld_mm.teacher), in eval mode, with the weights it loaded
        assert rank["teacher_in_ddp"] is False and rank["teacher_training"] is False
        assert rank["teacher"].keys() == teacher_state.keys()
        assert all(torch.equal(rank["teacher"][k], teacher_state[k]) for k in rank["teacher"])
    first, second = (r["student"] for r in ranks)
    assert first.keys() == second.keys()
    # BN running statistics are each rank's own (buffers are not broadcast on the CPU); every weight is shared
    assert all(torch.equal(first[k], second[k]) for k in first if "running" not in k and "num_batches" not in k)
    return log


def test_a_two_task_slurm_job_trains_the_classification_distiller_with_ddp(tmp_path):
    data, teacher = two_rank_cls_inputs(tmp_path)
    config = tmp_path / "cls_probed.py"
    config.write_text(
        f"_base_ = [{CLS_CONFIG!r}]\n"
        "custom_imports = dict(imports=['ldrld_cls.engine', 'dist_probe'], allow_failed_imports=False)\n" + PROBE
    )
    loaders = ("train_dataloader.batch_size=2", "val_dataloader.batch_size=2")
    loaders += ("train_dataloader.num_workers=0", "val_dataloader.num_workers=0", "default_hooks.logger.interval=1")
    work = ddp_sweep(config, data, teacher, tmp_path / "sweep", "train_cfg.max_epochs=1", *loaders)
    log = assert_ranks_agree(work, torch.load(teacher, map_location="cpu", weights_only=True)["model"])
    assert re.search(r"Epoch\(train\) \[1\]\[3/3\]", log), log[-3000:]  # 6 images a rank, batch 2
    # the checkpoint rank 0 wrote holds the whole student, without DDP's prefix: it loads, strictly, into a
    # classifier in this one process and gives it rank 0's weights
    from ldrld_cls.models import build_classifier
    from ldrld_core import load_checkpoint_into

    student = build_classifier("resnet20", 100, "cifar")
    assert load_checkpoint_into(student, os.path.join(work, "epoch_1.pth"), prefix="student.") == ([], [])
    rank0 = torch.load(os.path.join(work, "rank0.pth"), map_location="cpu", weights_only=False)["student"]
    mine = student.state_dict()
    assert all(torch.equal(mine[k], rank0[f"student.{k}"]) for k in mine)


def test_a_two_task_slurm_job_trains_the_detection_distiller_with_ddp(tmp_path):
    data = make_toy_coco(str(tmp_path / "data"), num_train=8, num_val=2, image_size=(128, 96))
    teacher = tmp_path / "teacher"
    train_det("teacher", data, teacher, "train_cfg.max_epochs=1", "train_cfg.val_interval=1", env=job_env())
    config = tmp_path / "det_probed.py"
    config.write_text(
        f"_base_ = [{toy_config('ldrld')!r}]\n"
        "custom_imports = dict(imports=['ldrld_det', 'dist_probe'], allow_failed_imports=False)\n" + PROBE
    )
    one_epoch = ("train_cfg.max_epochs=1", "train_cfg.val_interval=2", "default_hooks.logger.interval=1")
    work = ddp_sweep(config, data, teacher / "epoch_1.pth", tmp_path / "sweep", *one_epoch)
    log = assert_ranks_agree(work, load_run_checkpoint(teacher / "epoch_1.pth")["state_dict"])
    assert re.search(r"Epoch\(train\) \[1\]\[2/2\]", log), log[-3000:]  # 8 images: 4 a rank, batch 2
    # the checkpoint rank 0 wrote goes on in a single-process run (MMEngine's resume: weights, optimizer, epoch)
    single = tmp_path / "single"
    proc = run_tool(
        "train_det.py",
        config,
        "--data-root",
        data,
        "--work-dir",
        single,
        "--teacher-checkpoint",
        teacher / "epoch_1.pth",
        "--resume",
        os.path.join(work, "epoch_1.pth"),
        "--cfg-options",
        "train_cfg.max_epochs=2",
        "train_cfg.val_interval=2",
        env=job_env(),
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert "Distributed training: False" in output and "resumed epoch: 1" in output
    assert re.search(r"Epoch\(train\) \[2\]\[4/4\]", output), output[-3000:]  # all 8 images in one process
    assert (single / "epoch_2.pth").is_file()
