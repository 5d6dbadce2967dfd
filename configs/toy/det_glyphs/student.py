# The detection study (`make study-det`, docs/detection.md): the toy student of
# configs/toy/det/ on scenes of 36 typeface characters (tools/make_toy_data.py
# det-glyphs: 240 training images in 12 typefaces; pass --data-root DIR/students),
# with the same network, optimiser and losses. Documented change: 10 epochs
# (1,200 iterations) instead of the demo's 6, x0.1 after 8, evaluated after
# epochs 9 and 10 (both past the decay) to show whether the boxes have settled.
# Gradients clipped at norm 10 (the toy teacher's clip, and MMDetection's for its
# small-batch recipes): without it a KD run was seen to diverge to NaN in its first epoch on a
# CPU whose torch picks AVX2 kernels (docs/detection.md, "Every run reaches its end").
_base_ = '../det/student.py'

optim_wrapper = dict(clip_grad=dict(max_norm=10, norm_type=2))

train_cfg = dict(max_epochs=10, val_begin=9, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=10, milestones=[8], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20))
