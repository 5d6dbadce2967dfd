# The toy Mask R-CNN student distilled with LDRLD from the toy Mask R-CNN teacher (pass
# --teacher-checkpoint): the box head's class scores; the mask head trains as usual. Loss
# weights: the toy Faster R-CNN rows' (_base_/distiller.py).
_base_ = ['./mask_student.py', './_base_/distiller.py']

model = dict(
    type='RoIDistiller',
    teacher_config='{{fileDirname}}/mask_teacher.py',
    teacher_checkpoint=None,
    distill_loss={{_base_.r101_ldrld_distiller.distill_loss}},
)
