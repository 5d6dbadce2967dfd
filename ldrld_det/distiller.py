"""RoI-logit distillation for MMDetection two-stage detectors (docs/detection.md).

The model *is* the student (a :class:`TwoStageDetector` with the student's own
backbone, neck, RPN and RoI head, so its checkpoints have the keys of a plain
Faster R-CNN), with a frozen teacher beside it that is not a submodule: the
teacher is not in ``parameters()``, the optimizer or ``state_dict()``.
"""

import copy
import logging
import os
import warnings

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import print_log

from ldrld_core import build_loss
from ldrld_core.errors import ConfigError
from ldrld_mm.progress import training_progress
from ldrld_mm.teacher import HoldsTeacher, check_class_count, load_teacher_weights

from .diagnostics import distill_diagnostics
from .renormalize import Renormalizer

DISTILL_ROI_HEADS = ("StandardRoIHead", "DistillRoIHead")
# the names under which distillation terms join the detector's losses
LOG_NAMES = {
    "loss_local": "loss_ldrld_local",
    "loss_rntk": "loss_ldrld_rntk",
    "loss_tckd": "loss_dkd_tckd",
    "loss_nckd": "loss_dkd_nckd",
}


def _teacher_model_cfg(teacher_config):
    if isinstance(teacher_config, (str, os.PathLike)):
        path = os.fspath(teacher_config)
        if "::" in path:  # a config packaged with a library, e.g. mmdet::faster_rcnn/...: MMEngine finds it
            from mmengine.hub import get_config

            try:
                return get_config(path).model
            except Exception as err:  # noqa: BLE001
                raise ConfigError(f"teacher_config {path}: {type(err).__name__}: {err}") from None
        if not os.path.isfile(path):
            raise ConfigError(f"teacher_config {path}: no such config file")
        return Config.fromfile(path).model
    if isinstance(teacher_config, dict) and "model" in teacher_config:
        return teacher_config["model"]
    raise ConfigError(
        f"teacher_config must be a config file path or a dict with a 'model' key, got {type(teacher_config).__name__}"
    )


def _num_classes(model):
    return model.roi_head.bbox_head.num_classes


def without_ce(cfg, where="distill_loss"):
    """The loss config with ``ce_weight=0`` (for every member of a
    DistillLossSum): in detection the RoI head's own classification loss is the
    cross-entropy, so a distillation loss must not add another."""
    cfg = dict(cfg)
    if cfg.get("type") == "DistillLossSum":
        cfg["losses"] = [without_ce(m, f"{where}.losses[{k}]") for k, m in enumerate(cfg.get("losses", []))]
        return cfg
    if float(cfg.setdefault("ce_weight", 0.0)) != 0.0:
        raise ConfigError(
            f"{where}.ce_weight must be 0 in detection: the RoI head's own classification loss is the cross-entropy"
        )
    return cfg


@MODELS.register_module()
class RoIDistiller(HoldsTeacher, TwoStageDetector):
    """Distil a frozen teacher's RoI class scores into a two-stage student.

    Args (besides the student's own ``backbone``, ``neck``, ``rpn_head``,
    ``roi_head``, ``train_cfg``, ``test_cfg``, ``data_preprocessor``):
        teacher_config: path of the teacher's MMDetection config (``mmdet::``
            paths work) or a config dict with a ``model`` key.
        teacher_checkpoint: the teacher's weights: a path, an http(s) URL or
            ``torchvision://NAME`` (downloaded once into torch's hub cache),
            loaded strictly when the model is built. ``None`` keeps a randomly
            initialised teacher and warns loudly: smoke runs only.
        distill_loss: a loss config for :func:`ldrld_core.build_loss`, e.g.
            ``dict(type='LDRLDLoss', alpha=1.0, beta=0.25, depth=7,
            temperature=1.0)``; KDLoss and DKDLoss work the same way. Its
            ``ce_weight`` is 0: the detector's classification loss is its own.
            It is called with ``progress`` = epochs done so far (a float).
        trust_teacher_checkpoint: allow a checkpoint that needs full unpickling.
    """

    TEACHER_KEYS = ("teacher_config", "teacher_checkpoint", "trust_teacher_checkpoint", "distill_loss")

    def __init__(
        self,
        teacher_config,
        distill_loss,
        teacher_checkpoint=None,
        trust_teacher_checkpoint=False,
        roi_head=None,
        **student,
    ):
        roi_head = copy.deepcopy(dict(roi_head or {}))
        if roi_head.get("type", "StandardRoIHead") not in DISTILL_ROI_HEADS:
            raise ConfigError(
                f"model.roi_head.type must be one of {DISTILL_ROI_HEADS} for RoIDistiller, got {roi_head.get('type')!r}"
            )
        roi_head["type"] = "DistillRoIHead"
        super().__init__(roi_head=roi_head, **student)

        teacher = MODELS.build(_teacher_model_cfg(teacher_config))
        check_class_count(_num_classes(teacher), _num_classes(self), f"teacher_config {teacher_config}", "box head")
        self.teacher_checkpoint = teacher_checkpoint
        self._load_teacher(teacher, teacher_checkpoint, trust_teacher_checkpoint)
        # outside parameters(), state_dict() and the optimizer, moved with the student, always in eval
        # mode (ldrld_mm.teacher.HoldsTeacher)
        self.hold_teacher(teacher)
        self.teacher_config = teacher_config
        self.renormalize = Renormalizer(self.data_preprocessor, teacher.data_preprocessor)

        self.distill_loss = build_loss(without_ce(distill_loss))

    @classmethod
    def student_config(cls, model_cfg):
        """The plain two-stage detector of the student (``ldrld_mm.student_model_cfg``)."""
        for key in cls.TEACHER_KEYS:
            model_cfg.pop(key, None)
        model_cfg["type"] = "FasterRCNN"
        if model_cfg.get("roi_head", {}).get("type") == "DistillRoIHead":
            model_cfg["roi_head"]["type"] = "StandardRoIHead"
        return model_cfg

    @staticmethod
    def _load_teacher(teacher, checkpoint, trust):
        if checkpoint is None:
            message = (
                "RoIDistiller: teacher_checkpoint is None, so the teacher keeps random weights and "
                "teaches nothing. Use this only for smoke runs; pass --teacher-checkpoint PATH."
            )
            warnings.warn(message, UserWarning, stacklevel=3)
            print_log(message, logger="current", level=logging.WARNING)
            return
        path = load_teacher_weights(teacher, checkpoint, trust=trust)
        print_log(f"RoIDistiller: loaded teacher weights from {path}", logger="current")

    # -- training -------------------------------------------------------------
    def loss(self, batch_inputs, batch_data_samples) -> dict:
        losses = super().loss(batch_inputs, batch_data_samples)
        sampled, self.roi_head.last_sampled = self.roi_head.last_sampled, None
        teacher_scores = self.teacher_roi_scores(batch_inputs, batch_data_samples, sampled["rois"])
        terms = self.distill_loss(
            sampled["cls_score"], teacher_scores, target=sampled["labels"], progress=training_progress()
        )
        terms = {LOG_NAMES.get(name, name): value for name, value in terms.items()}
        losses.update(terms)
        losses.update(distill_diagnostics(losses, terms, teacher_scores, sampled["labels"]))
        return losses

    @torch.no_grad()
    def teacher_roi_scores(self, batch_inputs, batch_data_samples, rois):
        """The teacher's class scores (background column last) on ``rois``, the student's
        sampled RoIs in their order, from the teacher's own features of the same batch
        (re-normalised for the teacher where the two preprocessors differ)."""
        teacher_inputs = self.renormalize(batch_inputs, batch_data_samples)
        feats = self.teacher.extract_feat(teacher_inputs)
        return self.teacher.roi_head._bbox_forward(feats, rois)["cls_score"]
