# Table 21, LDRLD row (R-101 teacher -> R50 student): LDRLD on the RoI head's
# class scores (81 columns on COCO), the teacher run on the student's sampled
# RoIs. The distiller, teacher and loss weights: _base_/r101_teacher_distiller.py.
_base_ = ['./frcnn_r50_fpn_1x_coco.py', './_base_/r101_teacher_distiller.py']

model = {{_base_.r101_ldrld_distiller}}
