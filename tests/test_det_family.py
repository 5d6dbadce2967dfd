"""RoI distillation for the three two-stage detectors people train in MMDetection: Faster, Mask
and Cascade R-CNN, on real MMDetection models and toy COCO (with polygon masks), through the
one call path of RoIDistiller.loss."""

import copy
import json
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ldrld_core.errors import ConfigError
from ldrld_det.distiller import RoIDistiller
from ldrld_det.roi_head import SAMPLED
from toy.det import make_toy_coco

from det_helpers import MMDET_TOOLS, run_tool, toy_config, write_config

KINDS = {"faster": "", "mask": "mask_", "cascade": "cascade_"}
DETECTORS = {"faster": "FasterRCNN", "mask": "MaskRCNN", "cascade": "CascadeRCNN"}
TERMS = {
    "ldrld": ("loss_ldrld_local", "loss_ldrld_rntk"),
    "kd": ("loss_kd",),
    "dkd": ("loss_dkd_tckd", "loss_dkd_nckd"),
}


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp("family") / "coco"), num_train=2, num_val=1)


def _register():
    from mmdet.utils import register_all_modules

    import ldrld_det  # noqa: F401

    register_all_modules(init_default_scope=True)


def _batch(cfg, data):
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.update(data_root=data + "/", ann_file="annotations/instances_train2017.json")
    loader.dataset.data_prefix = dict(img="train2017/")
    return next(iter(Runner.build_dataloader(loader)))


def _build(model_cfg, seed=1):
    from mmdet.registry import MODELS

    torch.manual_seed(seed)
    return MODELS.build(copy.deepcopy(model_cfg))


def _losses(model, batch):
    model.train()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model.loss(data["inputs"], data["data_samples"])


@pytest.mark.parametrize("loss", sorted(TERMS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_detector_trains_with_each_loss_from_a_random_teacher(coco, kind, loss):
    """Three optimiser steps: the distillation terms are there (every cascade stage's, weighted by
    the cascade's stage weights), finite and reach the student; nothing sampled is left in the losses."""
    _register()
    cfg = Config.fromfile(toy_config(f"{KINDS[kind]}{loss}"))
    batch = _batch(cfg, coco)
    with pytest.warns(UserWarning, match="teacher_checkpoint is None"):
        model = _build(cfg.model)
    stages = [f"s{k}." for k in range(3)] if kind == "cascade" else [""]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.005)
    for _ in range(3):
        losses = _losses(model, batch)
        assert not [k for k in losses if k.endswith(SAMPLED)]
        names = [stage + term for stage in stages for term in TERMS[loss]]
        assert set(names) <= set(losses), sorted(losses)
        assert all(torch.isfinite(losses[n]) for n in names)
        if kind == "mask":
            assert "loss_mask" in losses  # the mask head trains as usual
        total, _ = model.parse_losses(losses)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    grads = [p.grad for p in model.roi_head.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert not any(p.grad is not None for p in model.teacher.parameters())


def test_cascade_stages_are_weighted_by_the_cascades_own_stage_weights(coco):
    """Each stage's terms carry the cascade's stage_loss_weights (1, 0.5, 0.25) unless the config
    gives its own; the same sampled RoIs (same seed) show the ratio exactly."""
    _register()
    cfg = Config.fromfile(toy_config("cascade_kd"))
    batch = _batch(cfg, coco)
    seen = {}
    for weights in (None, [1.0, 1.0, 1.0]):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.stage_loss_weights = weights
        with pytest.warns(UserWarning):
            model = _build(model_cfg)
        torch.manual_seed(0)
        seen[weights is None] = _losses(model, batch)
    own, flat = seen[True], seen[False]
    for k, w in enumerate((1.0, 0.5, 0.25)):
        torch.testing.assert_close(own[f"s{k}.loss_kd"], w * flat[f"s{k}.loss_kd"], rtol=1e-6, atol=0)


def test_the_cascade_teacher_scores_are_the_teachers_own_on_every_stages_rois(coco, tmp_path):
    """What the loss is given for stage k is exactly (max difference 0) the teacher's stage-k box
    head on the student's stage-k sampled RoIs, computed from the teacher's own preprocessing."""
    _register()
    teacher = write_config(str(tmp_path), "teacher.py", toy_config("cascade_student"))  # RGB: no re-normalising
    cfg = Config.fromfile(toy_config("cascade_ldrld"))
    cfg.model.teacher_config = teacher
    batch = _batch(cfg, coco)
    with pytest.warns(UserWarning):
        model = _build(cfg.model)
    for head in model.teacher.roi_head.bbox_head:  # class scores far from uniform
        torch.nn.init.normal_(head.fc_cls.weight, std=0.5)
    seen = {"rois": [], "teacher": []}
    bbox_loss, loss = model.roi_head.bbox_loss, model.distill_loss

    def keep_rois(stage, x, sampling_results):
        out = bbox_loss(stage, x, sampling_results)
        seen["rois"].append((stage, out["loss_bbox"][SAMPLED].rois.detach().clone()))
        return out

    class KeepTeacher(torch.nn.Module):
        def forward(self, student_logits, teacher_logits, **kwargs):
            seen["teacher"].append(teacher_logits.detach().clone())
            return loss(student_logits, teacher_logits, **kwargs)

    model.roi_head.bbox_loss, model.distill_loss = keep_rois, KeepTeacher()
    _losses(model, batch)
    assert [s for s, _ in seen["rois"]] == [0, 1, 2]
    with torch.no_grad():
        own = model.teacher.data_preprocessor(copy.deepcopy(batch), False)
        feats = model.teacher.extract_feat(own["inputs"])
        for (stage, rois), given in zip(seen["rois"], seen["teacher"]):
            extractor = model.teacher.roi_head.bbox_roi_extractor[stage]
            expected = model.teacher.roi_head.bbox_head[stage](extractor(feats[: extractor.num_inputs], rois))[0]
            assert expected.shape == given.shape
            assert (expected - given).abs().max().item() == 0.0
    assert not torch.equal(seen["teacher"][0], seen["teacher"][1])  # each stage its own scores


def _other_cascade(stages=3, classes=80):
    """The toy cascade's model config with ``stages`` stages of ``classes`` classes (a teacher_config dict)."""
    model = Config.fromfile(toy_config("cascade_student")).model
    model.roi_head.num_stages = stages
    model.roi_head.stage_loss_weights = model.roi_head.stage_loss_weights[:stages]
    model.roi_head.bbox_head = [dict(h, num_classes=classes) for h in model.roi_head.bbox_head[:stages]]
    model.train_cfg.rcnn = model.train_cfg.rcnn[:stages]
    return dict(model=model)


@pytest.mark.parametrize(
    "teacher, message",
    [
        (
            dict(stages=2),
            r"the teacher's cascade has 2 stages but the student's has 3; each stage is taught by the teacher's "
            "same stage",
        ),
        (dict(classes=10), r"the teacher's stage 0 box head has 10 classes but the student's has 80"),
    ],
    ids=["stages", "classes"],
)
def test_a_teacher_of_another_cascade_is_refused_in_one_sentence(teacher, message):
    _register()
    cfg = Config.fromfile(toy_config("cascade_ldrld"))
    cfg.model.teacher_config = _other_cascade(**teacher)
    with pytest.raises((ConfigError, ValueError), match=message) as err:
        _build(cfg.model)
    assert "\n" not in str(err.value)


def test_a_teacher_of_another_kind_and_an_unknown_head_are_refused_in_one_sentence():
    _register()
    cfg = Config.fromfile(toy_config("cascade_ldrld"))
    cfg.model.teacher_config = toy_config("teacher")  # a Faster R-CNN teacher for a cascade student
    with pytest.raises(
        ConfigError, match=r"the teacher's RoI head is a StandardRoIHead but the student's is a cascade"
    ):
        _build(cfg.model)
    cfg = Config.fromfile(toy_config("ldrld"))
    cfg.model.roi_head.type = "SparseRoIHead"
    known = r"'SparseRoIHead' is a RoI head RoIDistiller cannot teach; it knows StandardRoIHead, CascadeRoIHead"
    with pytest.raises(ConfigError, match=known):
        _build(cfg.model)
    cfg = Config.fromfile(toy_config("ldrld"))
    cfg.model.stage_loss_weights = [1, 0.5]
    with pytest.raises(ConfigError, match="stage_loss_weights is for a Cascade R-CNN student"):
        _build(cfg.model)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_distilled_students_weights_load_into_the_plain_detector(kind):
    """RoIDistiller.student_config gives the plain detector of the student's kind, and the
    distiller's state dict loads into it strictly (what tools/test_det.py and MMDetection's
    tools/test.py do with a checkpoint)."""
    from ldrld_mm import student_model_cfg

    _register()
    cfg = Config.fromfile(toy_config(f"{KINDS[kind]}ldrld"))
    with pytest.warns(UserWarning):
        model = _build(cfg.model)
    plain_cfg = student_model_cfg(copy.deepcopy(cfg.model))
    assert plain_cfg["type"] == DETECTORS[kind]
    assert "Distill" not in plain_cfg["roi_head"]["type"]
    plain = _build(plain_cfg, seed=2)
    plain.load_state_dict(model.state_dict(), strict=True)
    assert type(plain).__name__ == DETECTORS[kind] and not isinstance(plain, RoIDistiller)
    assert all(torch.equal(plain.state_dict()[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("kind", ["mask", "cascade"])
def test_a_distilled_students_checkpoint_is_evaluated_by_both_tools_as_the_plain_detector(kind, coco, tmp_path):
    """A distilled Mask or Cascade R-CNN student's checkpoint, given with the plain student's config
    to tools/test_det.py and to MMDetection's own tools/test.py: both load every weight (MMEngine's
    mismatch warning absent) and evaluate it with CocoMetric."""
    _register()
    cfg = Config.fromfile(toy_config(f"{KINDS[kind]}ldrld"))
    with pytest.warns(UserWarning):
        model = _build(cfg.model)
    checkpoint = tmp_path / "distilled.pth"
    torch.save({"meta": {}, "state_dict": model.state_dict()}, checkpoint)
    plain = toy_config(f"{KINDS[kind]}student")
    ours = run_tool("test_det.py", plain, checkpoint, "--data-root", coco, "--work-dir", tmp_path / "ours")
    ann = os.path.join(coco, "annotations", "instances_val2017.json")
    data = [f"{split}_dataloader.dataset.data_root={coco}" for split in ("train", "val", "test")]
    theirs = subprocess.run(
        [sys.executable, os.path.join(MMDET_TOOLS, "test.py"), plain, str(checkpoint), "--work-dir", str(tmp_path)]
        + ["--cfg-options", *data, f"val_evaluator.ann_file={ann}", f"test_evaluator.ann_file={ann}"],
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
        cwd=str(tmp_path),
        timeout=600,
    )
    theirs_log = theirs.stdout + theirs.stderr
    assert theirs.returncode == 0, theirs_log[-4000:]
    assert "coco/bbox_mAP" in json.loads((tmp_path / "ours" / "metrics.json").read_text())
    assert "coco/bbox_mAP" in theirs_log  # the toy configs evaluate boxes (the packaged COCO ones masks too)
    for log in (ours.stdout + ours.stderr, theirs_log):
        assert "do not match exactly" not in log and "unexpected key" not in log and "missing keys" not in log


def test_the_packaged_mask_and_cascade_configs_name_zoo_teachers():
    for family, teacher in (
        ("mask_rcnn", "mask-rcnn_r101_fpn_ms-poly-3x_coco"),
        ("cascade_rcnn", "cascade-rcnn_r101_fpn_20e_coco"),
    ):
        for student, depth in (("r50", 50), ("r18", 18)):
            for loss, kind in (("ldrld", "LDRLDLoss"), ("kd", "KDLoss"), ("dkd", "DKDLoss")):
                path = os.path.join(os.path.dirname(toy_config("x")), "..", "..", family)
                cfg = Config.fromfile(os.path.join(path, f"{family.split('_')[0]}-rcnn_r101_{student}_{loss}.py"))
                assert cfg.model.type == "RoIDistiller" and cfg.model.backbone.depth == depth
                assert cfg.model.distill_loss.type == kind
                assert cfg.model.teacher_config.endswith(f"{teacher}.py")
                assert cfg.model.teacher_checkpoint.startswith("https://download.openmmlab.com/mmdetection/")
                assert teacher.replace("-", "_").split("_coco")[0][:10] in cfg.model.teacher_checkpoint
