# The toy Cascade R-CNN student distilled with LDRLD from the toy cascade teacher (pass
# --teacher-checkpoint): every stage on its own sampled RoIs, weighted 1, 0.5, 0.25 as the
# cascade weights its own losses. Loss weights: the toy Faster R-CNN rows' (_base_/distiller.py).
_base_ = ['./cascade_student.py', './_base_/distiller.py']

model = dict(
    type='RoIDistiller',
    teacher_config='{{fileDirname}}/cascade_teacher.py',
    teacher_checkpoint=None,
    distill_loss={{_base_.r101_ldrld_distiller.distill_loss}},
)
