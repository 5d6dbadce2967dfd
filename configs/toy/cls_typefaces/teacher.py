# The study's teacher: ResNet32 trained alone on the teacher's set (--data-root DIR/teacher:
# other typefaces, 7,750 images), for 8 epochs (warm-up 0.7, decays at 5/6/7).
_base_ = './student.py'

model = dict(student=dict(arch='resnet32'))
train_cfg = dict(max_epochs=8, val_interval=8)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=0.7, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=8, milestones=[5, 6, 7], gamma=0.1),
]
