"""RoI-logit distillation for MMDetection two-stage detectors (docs/detection.md).

The model *is* the student (a :class:`TwoStageDetector` with the student's own
backbone, neck, RPN and RoI head, so its checkpoints have the keys of the plain
Faster, Mask or Cascade R-CNN it distils), with a frozen teacher beside it that is not a submodule: the
teacher is not in ``parameters()``, the optimizer or ``state_dict()``.
"""

import copy
import logging
import os
import warnings

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.roi_heads import CascadeRoIHead
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import print_log

from ldrld_core import build_loss
from ldrld_core.errors import ConfigError
from ldrld_mm.progress import training_progress
from ldrld_mm.teacher import HoldsTeacher, check_class_count, load_teacher_weights

from .diagnostics import distill_diagnostics
from .renormalize import Renormalizer
from .roi_head import SAMPLED

# the RoI heads the distiller can teach, and the head that replaces each in the student
DISTILL_ROI_HEADS = {
    "StandardRoIHead": "DistillRoIHead",
    "DistillRoIHead": "DistillRoIHead",
    "CascadeRoIHead": "DistillCascadeRoIHead",
    "DistillCascadeRoIHead": "DistillCascadeRoIHead",
}
PLAIN_ROI_HEADS = {"DistillRoIHead": "StandardRoIHead", "DistillCascadeRoIHead": "CascadeRoIHead"}
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


def _box_heads(model):
    """The box heads of ``model``'s RoI head: one, or one per cascade stage."""
    heads = model.roi_head.bbox_head
    return list(heads) if isinstance(heads, torch.nn.ModuleList) else [heads]


def detector_type(model_cfg):
    """The plain detector a distiller's student is: ``student_type`` where the config names it,
    otherwise ``CascadeRCNN`` for a cascade RoI head, ``MaskRCNN`` for a head with a mask
    head and ``FasterRCNN`` for the rest (MMDetection's three are the same TwoStageDetector,
    so the checkpoint loads into any of them; the name is what a reader of the config sees)."""
    if model_cfg.get("student_type"):
        return model_cfg["student_type"]
    roi_head = model_cfg.get("roi_head") or {}
    if "Cascade" in str(roi_head.get("type", "")):
        return "CascadeRCNN"
    return "MaskRCNN" if roi_head.get("mask_head") else "FasterRCNN"


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
        stage_loss_weights: for a Cascade R-CNN student, the weight of each stage's
            distillation terms; ``None`` takes the cascade's own ``stage_loss_weights``.
        student_type: the plain detector the student's checkpoints are for
            (``FasterRCNN``, ``MaskRCNN``, ``CascadeRCNN``); ``None`` tells it from the
            RoI head (:func:`detector_type`).

    The student's RoI head is a ``StandardRoIHead`` (Faster and Mask R-CNN: the box head's
    class scores are distilled, a mask head trains as usual) or a ``CascadeRoIHead`` (every
    stage distilled on its own sampled RoIs by the teacher's same stage); the teacher's RoI
    head is of the same kind, with as many stages.
    """

    TEACHER_KEYS = (
        "teacher_config",
        "teacher_checkpoint",
        "trust_teacher_checkpoint",
        "distill_loss",
        "stage_loss_weights",
        "student_type",
    )

    def __init__(
        self,
        teacher_config,
        distill_loss,
        teacher_checkpoint=None,
        trust_teacher_checkpoint=False,
        roi_head=None,
        stage_loss_weights=None,
        student_type=None,
        **student,
    ):
        roi_head = copy.deepcopy(dict(roi_head or {}))
        kind = roi_head.get("type", "StandardRoIHead")
        if kind not in DISTILL_ROI_HEADS:
            known = ", ".join(k for k in DISTILL_ROI_HEADS if k not in PLAIN_ROI_HEADS)
            raise ConfigError(
                f"model.roi_head.type {kind!r} is a RoI head RoIDistiller cannot teach; it knows {known} "
                "(Faster, Mask and Cascade R-CNN)"
            )
        roi_head["type"] = DISTILL_ROI_HEADS[kind]
        super().__init__(roi_head=roi_head, **student)

        teacher = MODELS.build(_teacher_model_cfg(teacher_config))
        self._check_teacher_heads(teacher, f"teacher_config {teacher_config}")
        self.stage_loss_weights = self._stage_weights(stage_loss_weights)
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
        model_cfg["type"] = detector_type(model_cfg)
        model_cfg.pop("student_type", None)
        head = model_cfg.get("roi_head") or {}
        if head.get("type") in PLAIN_ROI_HEADS:
            head["type"] = PLAIN_ROI_HEADS[head["type"]]
        return model_cfg

    def _check_teacher_heads(self, teacher, what):
        """One sentence unless the teacher's RoI head has the student's kind, stages and classes."""
        mine, theirs = _box_heads(self), getattr(teacher, "roi_head", None) and _box_heads(teacher)
        cascade = isinstance(self.roi_head, CascadeRoIHead)
        if theirs is None or isinstance(teacher.roi_head, CascadeRoIHead) != cascade:
            kind = type(getattr(teacher, "roi_head", None)).__name__
            raise ConfigError(
                f"{what}: the teacher's RoI head is a {kind} but the student's is a "
                f"{'cascade' if cascade else 'single-stage'} head ({type(self.roi_head).__name__}); a teacher "
                "teaches a student of its own kind"
            )
        if len(theirs) != len(mine):
            raise ConfigError(
                f"{what}: the teacher's cascade has {len(theirs)} stages but the student's has {len(mine)}; each "
                "stage is taught by the teacher's same stage, so the two must have as many"
            )
        for k, (t, s) in enumerate(zip(theirs, mine)):
            part = f"stage {k} box head" if cascade else "box head"
            check_class_count(t.num_classes, s.num_classes, what, part)

    def _stage_weights(self, weights):
        if not isinstance(self.roi_head, CascadeRoIHead):
            if weights is not None:
                raise ConfigError("stage_loss_weights is for a Cascade R-CNN student; this student has one box head")
            return None
        weights = list(self.roi_head.stage_loss_weights if weights is None else weights)
        if len(weights) != self.roi_head.num_stages:
            raise ConfigError(
                f"stage_loss_weights has {len(weights)} weights but the cascade has {self.roi_head.num_stages} stages"
            )
        return [float(w) for w in weights]

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
        """The student's own losses, then, for each box head (each cascade stage), the
        distillation terms on the RoIs it classified: its :class:`SampledRoIs`, returned
        with its losses, against the teacher's same head on the same RoIs."""
        losses = super().loss(batch_inputs, batch_data_samples)
        sampled = [losses.pop(key) for key in [k for k in losses if k.endswith(SAMPLED)]]
        teacher_feats = self.teacher_features(batch_inputs, batch_data_samples)
        progress = training_progress()
        taught = []
        for s in sampled:
            teacher_scores = self.teacher_roi_scores(teacher_feats, s.rois, s.stage)
            terms = self.distill_loss(s.cls_score, teacher_scores, target=s.labels, progress=progress)
            prefix, weight = ("", 1.0) if s.stage is None else (f"s{s.stage}.", self.stage_loss_weights[s.stage])
            terms = {prefix + LOG_NAMES.get(name, name): value * weight for name, value in terms.items()}
            losses.update(terms)
            taught.append((prefix, list(terms), teacher_scores, s))
        for prefix, names, teacher_scores, s in taught:
            diagnostics = distill_diagnostics(losses, names, teacher_scores, s.labels, s.positives)
            losses.update({prefix + name: value for name, value in diagnostics.items()})
        return losses

    @torch.no_grad()
    def teacher_features(self, batch_inputs, batch_data_samples):
        """The teacher's own features of the batch (re-normalised for the teacher where the two
        preprocessors differ)."""
        return self.teacher.extract_feat(self.renormalize(batch_inputs, batch_data_samples))

    @torch.no_grad()
    def teacher_roi_scores(self, teacher_feats, rois, stage=None):
        """The teacher's class scores (background column last) on ``rois``, the student's
        sampled RoIs in their order: its box head, or its cascade's stage ``stage``."""
        head = self.teacher.roi_head
        if stage is None:
            return head._bbox_forward(teacher_feats, rois)["cls_score"]
        return head._bbox_forward(stage, teacher_feats, rois)["cls_score"]
