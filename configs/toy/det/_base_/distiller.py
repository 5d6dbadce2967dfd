# The packaged distiller block with the toy teacher (configs/toy/det/teacher.py);
# its weights come from --teacher-checkpoint.
_base_ = '../../../_base_/r101_teacher_distiller.py'

r101_ldrld_distiller = dict(teacher_config='{{fileDirname}}/../teacher.py', teacher_checkpoint=None)
