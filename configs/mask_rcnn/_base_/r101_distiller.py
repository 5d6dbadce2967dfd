# What turns a Mask R-CNN student config into a distillation row: the RoIDistiller with
# MMDetection's Mask R-CNN R-101 FPN multi-scale poly 3x teacher,
#   mmdet::mask_rcnn/mask-rcnn_r101_fpn_ms-poly-3x_coco.py
#   box AP 42.7, mask AP 38.5 (MMDetection's model zoo, metafile.yml), weights
#   https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_r101_fpn_mstrain-poly_3x_coco/mask_rcnn_r101_fpn_mstrain-poly_3x_coco_20210524_200244-5675c317.pth
# (downloaded once into torch's hub cache). The box head's class scores on the student's
# sampled RoIs are distilled; the mask head trains as usual. Teacher and student are both
# pytorch-style (RGB, mean/std), so no batch is re-normalised. A student config takes it with
# `model = {{_base_.r101_ldrld_distiller}}` after listing this file among its bases. The loss
# weights are those of the Faster R-CNN rows (DKD's detection setup: T 1, beta 0.25).
r101_ldrld_distiller = dict(
    type='RoIDistiller',
    teacher_config='mmdet::mask_rcnn/mask-rcnn_r101_fpn_ms-poly-3x_coco.py',
    teacher_checkpoint=(
        'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/'
        'mask_rcnn_r101_fpn_mstrain-poly_3x_coco/'
        'mask_rcnn_r101_fpn_mstrain-poly_3x_coco_20210524_200244-5675c317.pth'
    ),
    distill_loss=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, depth=7, temperature=1.0),
)
