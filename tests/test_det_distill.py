"""Detection: teacher training, LDRLD distillation, evaluation and resume with the
real MMDetection Runner, CocoDataset, pipeline and CocoMetric on toy COCO data
(the toy configs of configs/toy/det/, one epoch)."""

import json
import math

import pytest
import torch

from toy.det import make_toy_coco

from det_helpers import ONE_EPOCH, run_tool, scalars, toy_config, train_det
from tool_helpers import load_run_checkpoint


@pytest.fixture(scope="session")
def toy_coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp("coco")), num_train=4, num_val=2)


@pytest.fixture(scope="session")
def teacher(tmp_path_factory, toy_coco):
    work = tmp_path_factory.mktemp("teacher") / "work"
    train_det("teacher", toy_coco, work, *ONE_EPOCH)
    ckpt = work / "epoch_1.pth"
    assert ckpt.is_file()
    return ckpt


@pytest.fixture(scope="module")
def distilled(tmp_path_factory, toy_coco, teacher):
    work = tmp_path_factory.mktemp("student") / "work"
    proc = train_det("ldrld", toy_coco, work, *ONE_EPOCH, teacher=teacher)
    return work, proc


def test_distillation_logs_finite_losses_and_coco_metrics(distilled):
    work, proc = distilled
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
    work, _ = distilled
    proc = run_tool(
        "test_det.py", toy_config("ldrld"), work / "epoch_1.pth", "--data-root", toy_coco, "--work-dir", tmp_path
    )
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"coco/bbox_mAP", "coco/bbox_mAP_50", "coco/bbox_mAP_75"} <= set(metrics)
    for name in ("AP", "AP50", "AP75"):
        assert f"{name}: " in proc.stdout
    assert "note:" not in proc.stdout


def test_test_tool_reports_zero_ap_when_nothing_is_detected(distilled, toy_coco, tmp_path):
    work, _ = distilled
    proc = run_tool(
        "test_det.py",
        toy_config("ldrld"),
        work / "epoch_1.pth",
        "--data-root",
        toy_coco,
        "--work-dir",
        tmp_path,
        "--cfg-options",
        "model.test_cfg.rcnn.score_thr=1.0",
    )
    assert proc.returncode == 0
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[-4:-1]] == ["AP:", "AP50:", "AP75:"]
    assert all(line.split()[1] == "0.00" for line in lines[-4:-1])
    assert lines[-1].startswith("note: the model detected nothing")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["coco/bbox_mAP"] == metrics["coco/bbox_mAP_50"] == metrics["coco/bbox_mAP_75"] == 0.0
    assert "detected nothing" in metrics["note"]


def test_resume_continues_the_iteration_count(distilled, toy_coco, teacher):
    work, _ = distilled
    options = ("train_cfg.max_epochs=2", "train_cfg.val_interval=2", "default_hooks.logger.interval=1")
    train_det("ldrld", toy_coco, work, *options, teacher=teacher, resume=True)
    ckpt = load_run_checkpoint(work / "epoch_2.pth")
    assert ckpt["meta"]["epoch"] == 2 and ckpt["meta"]["iter"] == 4
    iters = [r["iter"] for r in scalars(work) if "loss" in r]
    assert sorted(iters) == [1, 2, 3, 4]


def test_teacher_frozen_and_run_on_the_students_sampled_rois_under_cpu_amp(tmp_path, toy_coco, teacher):
    from ldrld_det.cli import DETECTION
    from ldrld_mm import cli

    args = cli.parser("train_det.py", "").parse_args(
        [
            toy_config("ldrld"),
            "--data-root",
            toy_coco,
            "--teacher-checkpoint",
            str(teacher),
            "--work-dir",
            str(tmp_path / "work"),
            "--amp",
            "--cfg-options",
            "train_cfg.max_epochs=1",
            "train_cfg.val_interval=5",
            "default_hooks.logger.interval=1",
        ]
    )
    runner = cli.build_runner(cli.load_config(args, DETECTION))
    model = runner.model
    seen = {"student": [], "teacher": []}
    model.roi_head.bbox_roi_extractor.register_forward_hook(
        lambda m, inp, out: seen["student"].append(inp[1].clone()) if model.training else None
    )
    model.teacher.roi_head.bbox_roi_extractor.register_forward_hook(
        lambda m, inp, out: seen["teacher"].append(inp[1].clone())
    )
    backbone_dtypes = []
    model.backbone.register_forward_hook(
        lambda m, inp, out: backbone_dtypes.append(out[0].dtype) if model.training else None
    )
    runner.train()

    assert type(runner.optim_wrapper).__name__ == "CPUBF16OptimWrapper"  # --amp without a GPU
    assert backbone_dtypes == [torch.bfloat16] * 2  # the backbone ran under bf16 autocast

    assert len(seen["teacher"]) == len(seen["student"]) == 2
    for s_rois, t_rois in zip(seen["student"], seen["teacher"]):
        assert torch.equal(s_rois, t_rois)
        assert t_rois.shape == (2 * 64, 5)  # the toy config's 64 sampled RoIs per image, batch of 2
    # the teacher's weights are the checkpoint's, bit for bit, after training
    reference = load_run_checkpoint(teacher)["state_dict"]
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


@pytest.mark.parametrize("config,loss", [("kd", "KDLoss"), ("dkd", "DKDLoss")])
def test_kd_and_dkd_configs_build(teacher, config, loss):
    from mmdet.registry import MODELS
    from mmengine.config import Config

    import ldrld_det  # noqa: F401

    cfg = Config.fromfile(toy_config(config))
    cfg.model.teacher_checkpoint = str(teacher)
    model = MODELS.build(cfg.model)
    assert type(model.distill_loss).__name__ == loss
