"""RoI class scores of trained detectors on common boxes (for ``tools/plot_corr.py``, Figure 5).

For each validation image, the teacher's RPN proposes boxes (its top
``proposals_per_image`` after NMS, in the network input's coordinates); the
teacher's and every student's RoI head score those same boxes, each model on
its own features computed with its own data preprocessor. The result is one
``(N, num_classes + 1)`` matrix of class logits (background column last) per
model, rows aligned across models.
"""

import copy

import torch


def build_detector(config, checkpoint, trust=False):
    """The plain two-stage detector ``config`` describes (a distillation config
    gives its student, without a teacher), with ``checkpoint``'s weights, in eval mode."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import ldrld_det  # noqa: F401
    from ldrld_core import load_checkpoint_into
    from ldrld_mm import student_model_cfg
    from ldrld_mm.cli import read_config
    from ldrld_mm.pretrained import drop_pretrained

    from .cli import DETECTION

    register_all_modules(init_default_scope=True)
    cfg = read_config(config, DETECTION)
    model_cfg = student_model_cfg(cfg.model)
    drop_pretrained(model_cfg)  # the checkpoint holds every weight; nothing downloads
    model = MODELS.build(model_cfg)
    load_checkpoint_into(model, checkpoint, strict=True, trust=trust)
    return model.eval(), cfg


def val_loader(cfg, data_root=None):
    from mmengine.runner import Runner

    from .cli import apply_data_root

    cfg = copy.deepcopy(cfg)
    apply_data_root(cfg, data_root, splits=("val",))
    loader_cfg = cfg.val_dataloader
    loader_cfg.update(batch_size=1, num_workers=0, persistent_workers=False)
    return Runner.build_dataloader(loader_cfg)


@torch.no_grad()
def box_class_logits(model, feats, rois):
    """``model``'s class logits on ``rois``: its box head's, or for a cascade the mean of its
    stages' on the same boxes (the mean of the stages' scores is what Cascade R-CNN predicts
    with; here every stage sees the given boxes, so the rows stay aligned across models)."""
    from mmdet.models.roi_heads import CascadeRoIHead

    head = model.roi_head
    if isinstance(head, CascadeRoIHead):
        return (
            sum(head._bbox_forward(k, feats, rois)["cls_score"].float() for k in range(head.num_stages))
            / head.num_stages
        )
    return head._bbox_forward(feats, rois)["cls_score"].float()


def roi_class_logits(teacher, students, loader, proposals_per_image=64):
    """``(teacher_logits, [student_logits, ...])`` on the teacher's proposals of every image in ``loader``."""
    from mmdet.structures.bbox import bbox2roi

    t_rows, s_rows = [], [[] for _ in students]
    for batch in loader:
        data = teacher.data_preprocessor(copy.deepcopy(batch), False)
        feats = teacher.extract_feat(data["inputs"])
        proposals = teacher.rpn_head.predict(feats, data["data_samples"], rescale=False)
        rois = bbox2roi([p.bboxes[:proposals_per_image] for p in proposals])
        if rois.shape[0] == 0:
            continue
        t_rows.append(box_class_logits(teacher, feats, rois))
        for rows, student in zip(s_rows, students):
            s_data = student.data_preprocessor(copy.deepcopy(batch), False)
            if s_data["inputs"].shape[-2:] != data["inputs"].shape[-2:]:
                raise ValueError("teacher and student see images of different sizes; give them the same test pipeline")
            s_feats = student.extract_feat(s_data["inputs"])
            rows.append(box_class_logits(student, s_feats, rois))
    if not t_rows:
        raise ValueError("the teacher proposed no boxes on the validation images")
    return torch.cat(t_rows), [torch.cat(rows) for rows in s_rows]
