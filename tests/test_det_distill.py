"""Detection: teacher training, LDRLD distillation, evaluation and resume with the
real MMDetection Runner, CocoDataset, pipeline and CocoMetric on toy COCO data."""
import math
import os
import sys

import pytest
import torch

from det_helpers import ROOT, run_tool, scalars, small_student_config, small_teacher_config
from ldrld_det.toy_data import make_toy_coco

sys.path.insert(0, os.path.join(ROOT, "tools"))
import train_det  # noqa: E402


@pytest.fixture(scope="session")
def toy_coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp("coco")), num_train=4, num_val=2)


@pytest.fixture(scope="session")
def teacher(tmp_path_factory, toy_coco):
    folder = tmp_path_factory.mktemp("teacher")
    cfg = small_teacher_config(str(folder))
    work = folder / "work"
    run_tool("train_det.py", cfg, "--data-root", toy_coco, "--work-dir", work)
    ckpt = work / "epoch_1.pth"
    assert ckpt.is_file()
    return cfg, ckpt


@pytest.fixture(scope="module")
def distilled(tmp_path_factory, toy_coco, teacher):
    teacher_cfg, ckpt = teacher
    folder = tmp_path_factory.mktemp("student")
    cfg = small_student_config(str(folder), "frcnn_r101_r18_ldrld.py", teacher_cfg)
    work = folder / "work"
    proc = run_tool("train_det.py", cfg, "--data-root", toy_coco, "--teacher-checkpoint", ckpt,
                    "--work-dir", work)
    return cfg, work, proc


def test_distillation_logs_finite_losses_and_coco_metrics(distilled):
    _, work, proc = distilled
    records = scalars(work)
    train = [r for r in records if "loss" in r]
    assert len(train) == 2  # 4 images, batch 2, one epoch, logged every iteration
    for r in train:
        for key in ("loss_ldrld_local", "loss_ldrld_rntk", "loss_cls", "loss_bbox", "loss_rpn_cls"):
            assert math.isfinite(r[key]), (key, r)
        assert r["loss_ldrld_local"] > 0
    val = [r for r in records if "coco/bbox_mAP" in r]
    assert len(val) == 1
    for key in ("coco/bbox_mAP", "coco/bbox_mAP_50", "coco/bbox_mAP_75"):
        assert 0.0 <= val[0][key] <= 1.0
    assert "loaded teacher weights from" in proc.stdout + proc.stderr


def test_test_tool_reports_ap(distilled, toy_coco, tmp_path):
    cfg, work, _ = distilled
    proc = run_tool("test_det.py", cfg, work / "epoch_1.pth", "--data-root", toy_coco, "--work-dir", tmp_path)
    import json
    metrics = json.load(open(tmp_path / "metrics.json"))
    assert {"coco/bbox_mAP", "coco/bbox_mAP_50", "coco/bbox_mAP_75"} <= set(metrics)
    assert "AP_50:" in proc.stdout and "AP_75:" in proc.stdout


def test_resume_continues_the_iteration_count(distilled, toy_coco, teacher):
    cfg, work, _ = distilled
    run_tool("train_det.py", cfg, "--data-root", toy_coco, "--teacher-checkpoint", teacher[1],
             "--work-dir", work, "--resume", "--cfg-options", "train_cfg.max_epochs=2")
    ckpt = torch.load(work / "epoch_2.pth", map_location="cpu", weights_only=False)
    assert ckpt["meta"]["epoch"] == 2 and ckpt["meta"]["iter"] == 4
    iters = [r["iter"] for r in scalars(work) if "loss" in r]
    assert sorted(iters) == [1, 2, 3, 4]


def test_teacher_frozen_and_run_on_the_students_sampled_rois_under_cpu_amp(tmp_path, toy_coco, teacher):
    teacher_cfg, ckpt = teacher
    cfg = small_student_config(str(tmp_path), "frcnn_r101_r18_ldrld.py", teacher_cfg,
                               extra="train_cfg = dict(max_epochs=1, val_interval=5)", rois_per_image=512)
    args = train_det.parse_args([cfg, "--data-root", toy_coco, "--teacher-checkpoint", str(ckpt),
                                 "--work-dir", str(tmp_path / "work"), "--amp"])
    runner = train_det.build_runner(args)
    model = runner.model
    seen = {"student": [], "teacher": []}
    model.roi_head.bbox_roi_extractor.register_forward_hook(
        lambda m, inp, out: seen["student"].append(inp[1].clone()) if model.training else None)
    model.teacher.roi_head.bbox_roi_extractor.register_forward_hook(
        lambda m, inp, out: seen["teacher"].append(inp[1].clone()))
    backbone_dtypes = []
    model.backbone.register_forward_hook(
        lambda m, inp, out: backbone_dtypes.append(out[0].dtype) if model.training else None)
    runner.train()

    assert type(runner.optim_wrapper).__name__ == "CPUBF16OptimWrapper"  # --amp without a GPU
    assert backbone_dtypes == [torch.bfloat16] * 2  # the backbone ran under bf16 autocast

    assert len(seen["teacher"]) == len(seen["student"]) == 2
    for s_rois, t_rois in zip(seen["student"], seen["teacher"]):
        assert torch.equal(s_rois, t_rois)
        assert t_rois.shape == (2 * 512, 5)  # 512 sampled RoIs per image, batch of 2
    # the teacher's weights are the checkpoint's, bit for bit, after training
    reference = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, reference[name]), name
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    optimised = {id(p) for g in runner.optim_wrapper.optimizer.param_groups for p in g["params"]}
    assert not optimised & {id(p) for p in model.teacher.parameters()}
    assert not [k for k in model.state_dict() if k.startswith("teacher")]
    train = [r for r in scalars(tmp_path / "work") if "loss" in r]
    assert len(train) == 2
    assert all(math.isfinite(r["loss_ldrld_local"]) and math.isfinite(r["loss"]) for r in train)


@pytest.mark.parametrize("config", ["frcnn_r101_r18_kd.py", "frcnn_r101_r18_dkd.py"])
def test_kd_and_dkd_configs_build(tmp_path, teacher, config):
    from mmengine.config import Config

    import ldrld_det  # noqa: F401
    from mmdet.registry import MODELS
    cfg = Config.fromfile(small_student_config(str(tmp_path), config, teacher[0]))
    model = MODELS.build(cfg.model)
    expected = {"frcnn_r101_r18_kd.py": "KDLoss", "frcnn_r101_r18_dkd.py": "DKDLoss"}[config]
    assert type(model.distill_loss).__name__ == expected
