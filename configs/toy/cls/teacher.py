# The toy teacher: ResNet-20 trained alone on the larger digit set (--data-root DIR/teacher).
_base_ = './student.py'

model = dict(student=dict(arch='resnet20'))
train_cfg = dict(max_epochs=5, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=5, milestones=[3, 4], gamma=0.1),
]
