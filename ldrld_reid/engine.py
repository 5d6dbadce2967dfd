"""torchreid's softmax engine with a frozen teacher and a logit-distillation loss.

The student trains exactly as torchreid's ``ImageSoftmaxEngine`` trains it
(label-smoothed cross-entropy on the identity logits); each batch adds the
distillation terms of an ``ldrld_core`` loss built with ``ce_weight=0``
(LDRLD, KD or DKD), so the cross-entropy is counted once. The teacher:

- is frozen (no gradients) and kept in eval mode on every batch;
- is a plain attribute, not one of the engine's registered models, so
  torchreid never switches it to train mode, never gives it an optimizer and
  never saves it with the student;
- gives logits as its ``classifier`` applied to its eval-mode features
  (torchreid models return features, not logits, in eval mode).

Each term is logged under its own name (``loss_ce``, ``loss_local``,
``loss_rntk`` / ``loss_kd`` / ``loss_tckd``, ``loss_nckd``) beside the total
``loss`` and the batch accuracy.
"""
import torch

from ldrld_core import build_loss

from . import compat

ImageSoftmaxEngine = compat.image_softmax_engine()


def teacher_logits(teacher, imgs):
    """Identity logits of a torchreid model in eval mode: its classifier on its features."""
    teacher.eval()
    with torch.no_grad():
        features = teacher(imgs)
        if isinstance(features, (tuple, list)):
            raise ValueError(f"teacher {type(teacher).__name__} returned {len(features)} outputs in eval mode; "
                             f"expected one feature tensor (a torchreid model built with loss='softmax')")
        return teacher.classifier(features)


def freeze(model):
    """Eval mode and no gradients, for good."""
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


class DistillSoftmaxEngine(ImageSoftmaxEngine):
    """``ImageSoftmaxEngine`` plus ``distill_loss(student_logits, teacher_logits, pids)``.

    ``distill_loss`` is an ``ldrld_core`` loss or its config dict, e.g.
    ``dict(type='LDRLDLoss', alpha=1, beta=1, depth=7, temperature=4, ce_weight=0)``.
    """

    def __init__(self, datamanager, model, optimizer, teacher, distill_loss, scheduler=None, use_gpu=True,
                 label_smooth=True):
        super().__init__(datamanager, model, optimizer, scheduler=scheduler, use_gpu=use_gpu,
                         label_smooth=label_smooth)
        if not isinstance(getattr(teacher, "classifier", None), torch.nn.Module):
            raise ValueError(f"teacher {type(teacher).__name__} has no `classifier` layer: expected a torchreid "
                             f"model built with loss='softmax'")
        if teacher is model:
            raise ValueError("the teacher and the student are the same model object")
        self.teacher = freeze(teacher)
        self.distill_loss = build_loss(distill_loss)
        if getattr(self.distill_loss, "ce_weight", 0) > 0:
            raise ValueError(f"{type(self.distill_loss).__name__} must have ce_weight=0: torchreid's "
                             f"label-smoothed cross-entropy is already the CE term")

    def forward_backward(self, data):
        imgs, pids = self.parse_data_for_train(data)
        if self.use_gpu:
            imgs, pids = imgs.cuda(), pids.cuda()
        outputs = self.model(imgs)
        loss_ce = self.compute_loss(self.criterion, outputs, pids)
        t_logits = teacher_logits(self.teacher, imgs)
        # A fractional epoch drives DKD's linear warm-up smoothly within an epoch.
        epoch = self.epoch + self.batch_idx / max(self.num_batches, 1)
        terms = self.distill_loss(outputs, t_logits, pids, epoch=epoch)
        loss = loss_ce + sum(terms.values())

        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

        summary = {"loss": loss.item(), "loss_ce": loss_ce.item()}
        summary.update((name, value.item()) for name, value in terms.items())
        summary["acc"] = compat.metrics().accuracy(outputs, pids)[0].item()
        return summary
