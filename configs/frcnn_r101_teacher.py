# Table 21's teacher (42.04 AP in the paper): Faster R-CNN ResNet-101 caffe-style
# FPN, multi-scale 3x. Its twin in MMDetection's model zoo (box AP 42.0) is
# https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_caffe_fpn_mstrain_3x_coco/faster_rcnn_r101_caffe_fpn_mstrain_3x_coco_20210526_095742-a7ae426d.pth
# (the distillation configs name it as their teacher_checkpoint).
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r101-caffe_fpn_ms-3x_coco.py']
custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)

# Those weights were trained on caffe-style input: BGR, minus the mean, std 1.
# The packaged 3.x config inherits a pytorch-style preprocessor; set the one the
# weights expect, so that evaluating or distilling from them is correct.
model = dict(data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False))
# checkpoints written atomically: a crash while saving leaves the previous one intact
default_hooks = dict(checkpoint=dict(backend_args=dict(backend='local_atomic')))
