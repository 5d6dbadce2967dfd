# The detection study's Cascade R-CNN rows (`make study-det-cascade`, docs/detection.md): the
# toy Cascade R-CNN (configs/toy/det/cascade_student.py) on the same 36-class glyph scenes, on
# the Faster R-CNN rows' schedule (configs/toy/det_glyphs/student.py: 10 epochs, x0.1 after 8,
# evaluated after 9 and 10, gradients clipped at norm 10).
_base_ = '../det/cascade_student.py'

optim_wrapper = dict(clip_grad=dict(max_norm=10, norm_type=2))

train_cfg = dict(max_epochs=10, val_begin=9, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=10, milestones=[8], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20))
