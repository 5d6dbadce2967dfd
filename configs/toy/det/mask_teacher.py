# The toy Mask R-CNN teacher: the toy Mask R-CNN student's network fed BGR images, trained as
# the toy teacher is (./teacher.py: lr 0.01 with gradient clipping, 6 epochs).
_base_ = './mask_student.py'

model = dict(data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[57.375, 57.120, 58.395], bgr_to_rgb=False))
optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=10, norm_type=2))
train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=6, milestones=[5], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20))
