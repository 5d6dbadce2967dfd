# What turns a Cascade R-CNN student config into a distillation row: the RoIDistiller with
# MMDetection's Cascade R-CNN R-101 FPN 20e teacher,
#   mmdet::cascade_rcnn/cascade-rcnn_r101_fpn_20e_coco.py
#   box AP 42.5 (MMDetection's model zoo, metafile.yml), weights
#   https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/cascade_rcnn_r101_fpn_20e_coco/cascade_rcnn_r101_fpn_20e_coco_bbox_mAP-0.425_20200504_231812-5057dcc5.pth
# (downloaded once into torch's hub cache). Each of the student's three stages is distilled on
# its own sampled RoIs by the teacher's same stage, the stages' terms weighted as the cascade
# weights its own losses (1, 0.5, 0.25; `stage_loss_weights=[...]` here to change that).
# Teacher and student are both pytorch-style (RGB, mean/std), so no batch is re-normalised. A
# student config takes it with `model = {{_base_.r101_ldrld_distiller}}` after listing this
# file among its bases. The loss weights are those of the Faster R-CNN rows (DKD's detection
# setup: T 1, beta 0.25).
r101_ldrld_distiller = dict(
    type='RoIDistiller',
    teacher_config='mmdet::cascade_rcnn/cascade-rcnn_r101_fpn_20e_coco.py',
    teacher_checkpoint=(
        'https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/'
        'cascade_rcnn_r101_fpn_20e_coco/'
        'cascade_rcnn_r101_fpn_20e_coco_bbox_mAP-0.425_20200504_231812-5057dcc5.pth'
    ),
    distill_loss=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, depth=7, temperature=1.0),
)
