"""A StandardRoIHead that keeps what RoI-logit distillation needs from its loss step."""

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi


@MODELS.register_module()
class DistillRoIHead(StandardRoIHead):
    """Exactly :class:`StandardRoIHead`, plus ``last_sampled``: after each
    training ``bbox_loss`` it holds the sampled RoIs (``(n, 5)``, batch index
    first, in the order the box head saw them), the student's class scores for
    them (background column last) and their labels (background = num_classes).
    Its parameters and checkpoint keys are those of StandardRoIHead.
    """

    last_sampled = None

    def bbox_loss(self, x, sampling_results) -> dict:
        results = super().bbox_loss(x, sampling_results)
        background = self.bbox_head.num_classes
        labels = [
            torch.cat([r.pos_gt_labels, r.pos_gt_labels.new_full((len(r.neg_priors),), background)])
            for r in sampling_results
        ]
        self.last_sampled = dict(
            rois=bbox2roi([r.priors for r in sampling_results]),
            cls_score=results["cls_score"],
            labels=torch.cat(labels),
        )
        return results
