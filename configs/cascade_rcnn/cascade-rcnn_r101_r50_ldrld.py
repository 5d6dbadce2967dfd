# Cascade R-CNN R-101 -> R50 with LDRLD on every stage's class scores (teacher, weights and
# loss: _base_/r101_distiller.py; the student's recipe: cascade-rcnn_r50_fpn_1x_coco.py).
_base_ = ['./cascade-rcnn_r50_fpn_1x_coco.py', './_base_/r101_distiller.py']

model = {{_base_.r101_ldrld_distiller}}
