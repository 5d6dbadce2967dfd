"""The classification distiller: a frozen teacher and a student as one MMEngine model.

``ClsDistiller(student=dict(arch=...), num_classes=..., teacher=dict(arch=...,
checkpoint=...), distill_loss=dict(type='LDRLDLoss', ...))``

- ``mode='loss'``: the student's logits and the teacher's (run under no-grad,
  the teacher always in eval mode) go into the ``ldrld_core`` loss; returns its
  dict of terms (``loss_ce``, ``loss_local``, ``loss_rntk``, ...), called with
  ``progress`` = epochs done so far (``ldrld_mm.progress``), which drives the
  loss's own warm-up (``distill_loss=dict(..., warmup=epochs)``).
- ``mode='predict'``: per image, the student's top-5 classes and the label,
  for ``TopKAccuracy``.
- ``mode='tensor'``: the student's logits.

``channels_last=True`` keeps both networks in ``torch.channels_last`` (the fast path,
``ldrld_cls.engine.fast``).

Without a teacher (``teacher=None``, ``distill_loss=None``) the same model
trains a network with cross-entropy alone: the teacher-training configs.
The teacher is held as every task holds it (``ldrld_mm.teacher.HoldsTeacher``):
outside ``parameters()``, ``state_dict()`` and the optimizer (checkpoints hold
``student.*`` alone), moved with the model, always in eval mode: MMEngine's default
optimizer constructor builds the optimizer over the student alone.
"""

import os

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import MODELS

from ldrld_core import CheckpointError, build_loss, extract_state_dict, load_checkpoint_into, read_checkpoint
from ldrld_mm.pretrained import fetch_teacher
from ldrld_mm.progress import training_progress
from ldrld_mm.teacher import HoldsTeacher, freeze, load_teacher_weights

from ..errors import ClassCountError, InputError
from ..models import build_classifier, classifier_layer

OWN_PREFIX = "student."  # where this trainer's own checkpoints keep the trained network


def _arch_cfg(cfg, role, default_family):
    if not isinstance(cfg, dict) or "arch" not in cfg:
        raise InputError(f"model.{role} must be a dict with an 'arch' key, e.g. dict(arch='resnet8x4'), got {cfg!r}")
    return cfg["arch"], cfg.get("family", default_family)


@MODELS.register_module()
class ClsDistiller(HoldsTeacher, BaseModel):
    def __init__(
        self,
        student,
        num_classes,
        teacher=None,
        distill_loss=None,
        family="cifar",
        kd_warmup_epochs=None,
        data_preprocessor=None,
        init_cfg=None,
        channels_last=False,
    ):
        if data_preprocessor is None:
            data_preprocessor = dict(type="ClsDataPreprocessor")
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = num_classes
        arch, fam = _arch_cfg(student, "student", family)
        self.student = build_classifier(arch, num_classes, fam)
        if (teacher is None) != (distill_loss is None):
            raise InputError(
                "model.teacher and model.distill_loss go together: set both to distil, or neither to train "
                f"with cross-entropy alone (got teacher={teacher!r}, distill_loss={distill_loss!r})"
            )
        self.hold_teacher(None if teacher is None else self._build_teacher(teacher, num_classes, family))
        self.distill_loss = None if distill_loss is None else build_loss(distill_loss)
        if kd_warmup_epochs is not None:
            raise InputError(
                f"model.kd_warmup_epochs={kd_warmup_epochs!r} is gone: the loss ramps itself in; write "
                f"model.distill_loss.warmup={kd_warmup_epochs!r} (epochs, every ldrld_core loss takes it)"
            )
        if channels_last:  # the fast path (ldrld_cls.engine.fast): convolutions in NHWC
            self.student.to(memory_format=torch.channels_last)
            if self.teacher is not None:
                self.teacher.to(memory_format=torch.channels_last)

    # ---- teacher --------------------------------------------------------------------------------------------
    def _build_teacher(self, cfg, num_classes, default_family):
        arch, fam = _arch_cfg(cfg, "teacher", default_family)
        model = build_classifier(arch, num_classes, fam)
        path = cfg.get("checkpoint")
        if not path:
            raise InputError(
                f"model.teacher ({arch!r}) has no checkpoint: pass --teacher-checkpoint PATH (a "
                f"{{'model': state_dict}} file of the KD literature, a torchvision state dict, or a checkpoint "
                f"written by tools/train_cls.py)"
            )
        self._load_teacher(model, os.path.expanduser(fetch_teacher(str(path))), cfg, arch, fam, num_classes)
        return freeze(model)

    def _load_teacher(self, model, path, cfg, arch, family, num_classes):
        trust, key, prefix = bool(cfg.get("trust", False)), cfg.get("key"), cfg.get("prefix")
        what = f"model.teacher (arch={arch!r}, family={family!r}, num_classes={num_classes})"
        try:  # strict, weights-only unless trusted: the teacher policy's loader (ldrld_mm.teacher)
            load_teacher_weights(model, path, trust=trust, key=key, prefix=prefix)
            return
        except CheckpointError as err:
            first = err
        if not os.path.isfile(path):
            raise CheckpointError(f"{what}: {first}") from None
        try:
            state = extract_state_dict(read_checkpoint(path, trust=trust), path, key)
        except CheckpointError:
            raise CheckpointError(f"{what}: {first}") from None
        if (
            prefix is None
            and state
            and all(k.startswith(OWN_PREFIX) for k in state if not k.startswith(("teacher.", "data_preprocessor.")))
        ):
            try:  # a checkpoint of this trainer: the network sits under 'student.'
                load_checkpoint_into(model, path, trust=trust, key=key, prefix=OWN_PREFIX)
                return
            except CheckpointError as err:
                first = err
                state = {k[len(OWN_PREFIX) :]: v for k, v in state.items() if k.startswith(OWN_PREFIX)}
        self._explain_class_count(model, state, path, what)
        raise CheckpointError(f"{what}: {first}") from None

    @staticmethod
    def _explain_class_count(model, state, path, what):
        """Raise ``ClassCountError`` when only the classifier's class count differs."""
        name, layer = classifier_layer(model)
        weight = state.get(f"{name}.weight")
        if weight is None or weight.dim() != 2 or weight.shape[0] == layer.out_features:
            return
        own = model.state_dict()
        others_fit = set(own) == set(state) and all(
            own[k].shape == state[k].shape for k in own if not k.startswith(f"{name}.")
        )
        if others_fit:
            raise ClassCountError(
                f"{what}: teacher checkpoint {path} was trained for {weight.shape[0]} classes "
                f"({name}.weight {tuple(weight.shape)}), but the model is built for {layer.out_features} "
                f"(model.num_classes, the data set's class count)"
            )

    # ---- forward --------------------------------------------------------------------------------------------
    def forward(self, inputs, data_samples=None, mode="tensor"):
        if mode == "loss":
            return self.loss(inputs, data_samples)
        if mode == "predict":
            return self.predict(inputs, data_samples)
        if mode == "tensor":
            return self.student(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    @classmethod
    def student_config(cls, model_cfg):
        """The network alone, without teacher and loss (``ldrld_mm.student_model_cfg``)."""
        model_cfg.pop("teacher", None)
        model_cfg.pop("distill_loss", None)
        return model_cfg

    def loss(self, inputs, labels):
        if labels is None:
            raise ValueError("ClsDistiller.loss needs labels (data_samples)")
        logits = self.student(inputs)
        if self.teacher is None:
            return {"loss_ce": F.cross_entropy(logits.float(), labels)}
        with torch.no_grad():
            teacher_logits = self.teacher(inputs)
        return self.distill_loss(logits, teacher_logits.detach(), labels, progress=training_progress())

    def predict(self, inputs, labels=None):
        logits = self.student(inputs)
        topk = logits.topk(min(5, logits.shape[1]), dim=1).indices.cpu()
        labels = labels.cpu() if labels is not None else [None] * len(topk)
        return [{"topk": topk[i], "gt_label": labels[i]} for i in range(len(topk))]
