"""RoI heads that return, with their own losses, what RoI-logit distillation needs.

Each is exactly its MMDetection parent (same parameters and checkpoint keys) except that its
training ``bbox_loss`` adds one more entry to the losses it returns: ``distill_sampled``, a
:class:`SampledRoIs` of the RoIs the box head has just classified (in its order), the
student's class scores for them and their labels. The entry travels up with the head's losses
(a cascade's under ``s<stage>.distill_sampled``, as its other per-stage entries) to
:meth:`ldrld_det.RoIDistiller.loss`, which takes it out before the losses reach MMEngine. Nothing
is stored on a module between calls.
"""

from dataclasses import dataclass
from typing import Optional

import torch
from mmdet.models.roi_heads import CascadeRoIHead, StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi

SAMPLED = "distill_sampled"  # holds no 'loss': a cascade passes it through without weighting it


@dataclass
class SampledRoIs:
    """The RoIs one box head classified in a training step: ``rois`` ``(n, 5)`` (batch index
    first), the student's ``cls_score`` ``(n, C + 1)`` (background last), ``labels`` ``(n,)``
    (background = C), how many of them are ``positives`` (the first ones of each image; a
    count the sampler's index lengths give on the host, so reading it never waits on a GPU) and
    the cascade ``stage`` (None for a single-stage head)."""

    rois: torch.Tensor
    cls_score: torch.Tensor
    labels: torch.Tensor
    positives: int
    stage: Optional[int] = None


def _positives(sampling_results) -> int:
    return sum(len(r.pos_gt_labels) for r in sampling_results)


def _labels(sampling_results, background):
    """The labels of the sampled RoIs in the box head's order: positives, then negatives (background)."""
    return torch.cat(
        [
            torch.cat([r.pos_gt_labels, r.pos_gt_labels.new_full((len(r.neg_priors),), background)])
            for r in sampling_results
        ]
    )


@MODELS.register_module()
class DistillRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` (Faster and Mask R-CNN) that returns its :class:`SampledRoIs`."""

    def bbox_loss(self, x, sampling_results) -> dict:
        results = super().bbox_loss(x, sampling_results)
        rois = bbox2roi([r.priors for r in sampling_results])  # what StandardRoIHead.bbox_loss classified
        labels = _labels(sampling_results, self.bbox_head.num_classes)
        results["loss_bbox"][SAMPLED] = SampledRoIs(rois, results["cls_score"], labels, _positives(sampling_results))
        return results


@MODELS.register_module()
class DistillCascadeRoIHead(CascadeRoIHead):
    """:class:`CascadeRoIHead` that returns every stage's :class:`SampledRoIs`."""

    def bbox_loss(self, stage, x, sampling_results) -> dict:
        results = super().bbox_loss(stage, x, sampling_results)
        labels = _labels(sampling_results, self.bbox_head[stage].num_classes)
        results["loss_bbox"][SAMPLED] = SampledRoIs(
            results["rois"], results["cls_score"], labels, _positives(sampling_results), stage
        )
        return results
