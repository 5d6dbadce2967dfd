# The detection study's Cascade R-CNN rows (`make study-det-cascade`, docs/detection.md): the
# toy Cascade R-CNN (configs/toy/det/cascade_student.py) on the same 36-class glyph scenes as the
# Faster R-CNN rows, on a schedule two epochs shorter than theirs (8 epochs, x0.1 after 6,
# evaluated after 7 and 8; gradients clipped at norm 10, as theirs): at their 10 epochs the
# Student / KD / LDRLD rows were on course for about 35 min on the 2-core VM (stopped at 27 min
# with two of the ten runs left), over the 30 the study is given.
_base_ = '../det/cascade_student.py'

optim_wrapper = dict(clip_grad=dict(max_norm=10, norm_type=2))

train_cfg = dict(max_epochs=8, val_begin=7, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=8, milestones=[6], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20))
