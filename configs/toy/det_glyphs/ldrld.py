# The study's LDRLD row: the study's student distilled from the study's teacher
# with the toy distiller block (alpha 9.5, beta 1, d 7, T 2); pass --teacher-checkpoint.
_base_ = ['./student.py', '../det/_base_/distiller.py']

model = {{_base_.r101_ldrld_distiller}}
