# What turns a Faster R-CNN student config into Table 21's LDRLD row: the
# RoIDistiller with the R-101 caffe teacher (MMDetection's multi-scale 3x
# checkpoint, downloaded once into torch's hub cache). A student config takes it
# with `model = {{_base_.r101_ldrld_distiller}}` after listing this file among
# its bases; the key is not `model`, so it does not clash with the student's.
# The paper gives no detection weights for LDRLD; these defaults follow DKD's
# detection setup (T = 1, non-target weight 0.25) and can be overridden with
# --cfg-options model.distill_loss.alpha=... model.distill_loss.beta=...
r101_ldrld_distiller = dict(
    type='RoIDistiller',
    teacher_config='{{fileDirname}}/../frcnn_r101_teacher.py',
    teacher_checkpoint=(
        'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
        'faster_rcnn_r101_caffe_fpn_mstrain_3x_coco/'
        'faster_rcnn_r101_caffe_fpn_mstrain_3x_coco_20210526_095742-a7ae426d.pth'
    ),
    distill_loss=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, depth=7, temperature=1.0),
)
