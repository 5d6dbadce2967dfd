# The cascade LDRLD row: the study's cascade student distilled from the cascade teacher, every
# stage (alpha 9.5, beta 1, d 7, T 2, as the Faster R-CNN rows); pass --teacher-checkpoint.
_base_ = ['./student.py', '../det/_base_/distiller.py']

model = dict(
    type='RoIDistiller',
    teacher_config='{{fileDirname}}/teacher.py',
    teacher_checkpoint=None,
    distill_loss={{_base_.r101_ldrld_distiller.distill_loss}},
)
