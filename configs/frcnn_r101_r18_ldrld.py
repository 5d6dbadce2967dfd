# Table 21, LDRLD row (R-101 teacher -> R18 student): LDRLD on the RoI head's
# class scores (81 columns on COCO), the teacher run on the student's sampled RoIs.
# The paper gives no detection weights for LDRLD; these defaults follow DKD's
# detection setup (T = 1, non-target weight 0.25) and can be overridden with
# --cfg-options model.distill_loss.alpha=... model.distill_loss.beta=...
_base_ = ['./frcnn_r18_fpn_1x_coco.py']

model = dict(
    type='RoIDistiller',
    teacher_config='{{fileDirname}}/frcnn_r101_teacher.py',
    teacher_checkpoint=('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
                        'faster_rcnn_r101_caffe_fpn_mstrain_3x_coco/'
                        'faster_rcnn_r101_caffe_fpn_mstrain_3x_coco_20210526_095742-a7ae426d.pth'),
    distill_loss=dict(type='LDRLDLoss', alpha=1.0, beta=0.25, depth=7, temperature=1.0))
