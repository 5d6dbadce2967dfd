# Toy scale of configs/frcnn_r101_r18_ldrld.py: the toy student distilled with
# LDRLD from the toy teacher (pass --teacher-checkpoint).
_base_ = ['./student.py', './_base_/distiller.py']

model = {{_base_.r101_ldrld_distiller}}
