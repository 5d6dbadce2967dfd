"""The teacher's RoI class scores that RoIDistiller hands to its loss describe the student's
own sampled RoIs, column for column: they equal what the teacher predicts for those boxes
through MMDetection's own inference path (the teacher's data preprocessor on the raw batch,
its backbone and neck, ``roi_head.predict_bbox`` with the boxes as proposals). A distiller
that permutes the class columns, hands over the RoIs in another order, or feeds the teacher
the student's normalisation (the toy teacher wants BGR, the student RGB) fails the check.
"""

import copy
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from ldrld_det.distiller import RoIDistiller
from ldrld_det.roi_head import SAMPLED
from toy.det import make_toy_coco

from det_helpers import ONE_EPOCH, scalars, toy_config, train_det


class PermutedColumns(RoIDistiller):
    def teacher_roi_scores(self, teacher_feats, rois, stage=None):
        scores = super().teacher_roi_scores(teacher_feats, rois, stage)
        return scores.roll(1, dims=1)  # the background column first, every class one off


class OtherRoIs(RoIDistiller):
    def teacher_roi_scores(self, teacher_feats, rois, stage=None):
        return super().teacher_roi_scores(teacher_feats, rois.flip(0), stage)


class NotRenormalised(RoIDistiller):
    @torch.no_grad()
    def teacher_features(self, batch_inputs, batch_data_samples):
        return self.teacher.extract_feat(batch_inputs)


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """The toy LDRLD config, a teacher checkpoint (random weights: alignment does not need a
    trained teacher) and one training batch of toy COCO."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    tmp = tmp_path_factory.mktemp("alignment")
    data = make_toy_coco(str(tmp / "coco"), num_train=2, num_val=1)
    cfg = Config.fromfile(toy_config("ldrld"))
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(toy_config("teacher")).model)
    # random weights, but class scores far from uniform (mmdet starts fc_cls at std 0.01), so that a
    # misaligned score matrix differs from the aligned one by far more than rounding
    torch.nn.init.normal_(teacher.roi_head.bbox_head.fc_cls.weight, std=0.5)
    torch.save(teacher.state_dict(), tmp / "teacher.pth")
    cfg.model.teacher_checkpoint = str(tmp / "teacher.pth")
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.update(data_root=data + "/", ann_file="annotations/instances_train2017.json")
    loader.dataset.data_prefix = dict(img="train2017/")
    batch = next(iter(Runner.build_dataloader(loader)))
    return cfg, batch


def distiller(cfg, kind=RoIDistiller):
    from mmdet.registry import MODELS

    model_cfg = copy.deepcopy(cfg.model)
    model_cfg["type"] = kind
    torch.manual_seed(1)
    return MODELS.build(model_cfg)


def misalignment(model, batch):
    """The largest difference, over the student's sampled RoIs and all classes, between the
    teacher probabilities the distiller gave its loss and the teacher's own prediction."""
    model.train()
    seen = {}
    bbox_loss, loss = model.roi_head.bbox_loss, model.distill_loss

    def keep_sampled(*args, **kwargs):
        out = bbox_loss(*args, **kwargs)
        seen["rois"] = out["loss_bbox"][SAMPLED].rois.detach().clone()
        return out

    class KeepTeacher(torch.nn.Module):
        def forward(self, student_logits, teacher_logits, **kwargs):
            seen["teacher"] = teacher_logits.detach().clone()
            return loss(student_logits, teacher_logits, **kwargs)

    model.roi_head.bbox_loss, model.distill_loss = keep_sampled, KeepTeacher()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    model.loss(data["inputs"], data["data_samples"])

    teacher = model.teacher
    with torch.no_grad():
        own = teacher.data_preprocessor(copy.deepcopy(batch), False)
        feats = teacher.extract_feat(own["inputs"])
        rois = seen["rois"]
        proposals = [InstanceData(bboxes=rois[rois[:, 0] == k, 1:]) for k in range(len(own["data_samples"]))]
        metas = [s.metainfo for s in own["data_samples"]]
        predicted = teacher.roi_head.predict_bbox(feats, metas, proposals, rcnn_test_cfg=None, rescale=False)
    expected = torch.cat([p.scores for p in predicted])
    assert expected.shape == seen["teacher"].shape
    return (seen["teacher"].float().softmax(1) - expected).abs().max().item()


def test_the_distiller_gives_its_loss_the_teachers_own_scores_on_the_students_rois(setting):
    cfg, batch = setting
    model = distiller(cfg)
    assert not model.renormalize.identity  # the check covers the re-normalisation: BGR teacher, RGB student
    assert misalignment(model, batch) < 1e-4


@pytest.mark.parametrize("broken", [PermutedColumns, OtherRoIs, NotRenormalised], ids=lambda k: k.__name__)
def test_a_misaligned_teacher_fails_the_check(setting, broken):
    cfg, batch = setting
    assert misalignment(distiller(cfg, broken), batch) > 0.05


def test_the_diagnostics_are_logged_beside_the_losses(tmp_path):
    data = make_toy_coco(str(tmp_path / "coco"), num_train=4, num_val=1)
    train_det("teacher", data, tmp_path / "teacher", *ONE_EPOCH)
    work = tmp_path / "student"
    train_det("ldrld", data, work, *ONE_EPOCH, teacher=tmp_path / "teacher" / "epoch_1.pth")
    train = [r for r in scalars(work) if "loss" in r]
    assert len(train) == 2
    for r in train:
        assert 0.0 <= r["teacher_acc"] <= 100.0 and 0.0 <= r["teacher_acc_fg"] <= 100.0
        share = (r["loss_ldrld_local"] + r["loss_ldrld_rntk"]) / r["loss"]
        assert 0.0 < r["distill_share"] < 1.0 and math.isclose(r["distill_share"], share, rel_tol=1e-3, abs_tol=1e-4)


def test_the_loss_warmup_follows_the_runs_progress(setting):
    """The distiller passes MMEngine's progress (epochs done) to its loss: with warmup=4 the
    distillation terms at progress 1 are a quarter of those at 4; the detector's own losses are not ramped."""
    from mmengine.logging import MessageHub

    cfg, batch = setting
    cfg = copy.deepcopy(cfg)
    cfg.model.distill_loss.warmup = 4.0
    model = distiller(cfg)
    model.train()
    hub = MessageHub.get_instance("det_alignment_warmup")
    hub.update_info("max_epochs", 12)
    hub.update_info("max_iters", 12 * 5)  # 5 iterations an epoch
    seen = {}
    for it in (4, 19):  # the last iteration of epochs 1 and 4
        hub.update_info("iter", it)
        torch.manual_seed(0)  # the same proposals sampled
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        seen[it] = model.loss(data["inputs"], data["data_samples"])
    for name in ("loss_ldrld_local", "loss_ldrld_rntk"):
        assert seen[19][name] > 0
        torch.testing.assert_close(seen[4][name] * 4, seen[19][name], rtol=1e-5, atol=0)
    torch.testing.assert_close(seen[4]["loss_cls"], seen[19]["loss_cls"])


def test_the_diagnostics_read_no_value_back_from_the_device(monkeypatch):
    """The diagnostics of an iteration are computed without one host sync (no ``bool(tensor)``,
    ``.item()`` or ``.tolist()``: each waits for a GPU): whether there are positives comes from
    the sampler's count, and ``teacher_acc_fg`` is the teacher's accuracy on them."""
    from ldrld_det.diagnostics import distill_diagnostics

    scores = torch.randn(12, 5, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 3, 1, 2] + [4] * 8)  # 4 positives first, then background (4)
    scores[0, 0] = scores[0].max() + 1  # at least one hit among the positives
    losses = {"loss_cls": torch.tensor(2.0), "loss_ldrld": torch.tensor(0.5), "acc": torch.tensor(50.0)}
    expected = (scores[:4].argmax(1) == labels[:4]).float().mean() * 100

    def read_back(*args, **kwargs):
        raise AssertionError("the diagnostics read a value back from the device")

    for name in ("__bool__", "item", "tolist"):
        monkeypatch.setattr(torch.Tensor, name, read_back)
    out = distill_diagnostics(losses, ["loss_ldrld"], scores, labels, positives=4)
    none = distill_diagnostics(losses, ["loss_ldrld"], scores[4:], labels[4:], positives=0)
    monkeypatch.undo()
    torch.testing.assert_close(out["teacher_acc_fg"], expected)
    torch.testing.assert_close(out["distill_share"], torch.tensor(0.2))
    assert "teacher_acc_fg" not in none and set(none) == {"teacher_acc", "distill_share"}
