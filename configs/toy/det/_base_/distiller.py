# The packaged distiller block with the toy teacher (configs/toy/det/teacher.py;
# its weights come from --teacher-checkpoint). At toy scale every loss uses
# T = 2 (the packaged T = 1 follows DKD's COCO setting), LDRLD with alpha 9.5 and
# beta 1, Table 11's optimum for a homogeneous pair (the packaged 1 and 0.25).
_base_ = '../../../_base_/r101_teacher_distiller.py'

r101_ldrld_distiller = dict(
    teacher_config='{{fileDirname}}/../teacher.py',
    teacher_checkpoint=None,
    distill_loss=dict(alpha=9.5, beta=1.0, temperature=2.0),
)
