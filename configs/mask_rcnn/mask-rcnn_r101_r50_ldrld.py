# Mask R-CNN R-101 -> R50 with LDRLD on the box head's class scores (teacher, weights and
# loss: _base_/r101_distiller.py; the student's recipe: mask-rcnn_r50_fpn_1x_coco.py).
_base_ = ['./mask-rcnn_r50_fpn_1x_coco.py', './_base_/r101_distiller.py']

model = {{_base_.r101_ldrld_distiller}}
