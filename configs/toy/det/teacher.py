# The toy teacher: the toy student's network with caffe-style input (BGR, mean
# only, as the packaged R-101 teacher expects), so a distillation run
# re-normalises each batch for it; trained longer.
_base_ = './student.py'

model = dict(data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False),
             backbone=dict(style='caffe'))
train_cfg = dict(max_epochs=24, val_interval=24)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=24, milestones=[18], gamma=0.1),
]
