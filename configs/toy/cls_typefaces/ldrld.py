# The classification study on real typefaces (`make study-cls`, docs/typefaces.md): 62 characters
# (0-9, A-Z, a-z) of packaged Google Fonts families in CIFAR-100's format (toy/typeface_cls.py,
# `python tools/make_toy_data.py cls-typefaces --out DIR`; pass --data-root DIR/students and
# --teacher-checkpoint). The pair is the paper's ResNet32x4 -> ResNet8x4 at a quarter of its stage
# widths (16-32-64 instead of 64-128-256, stem 16 instead of 32): ResNet32 -> ResNet8, so that the
# whole study fits 45 minutes on two CPU cores; the recipe is that pair's (Table 8: alpha 10.5,
# beta 7.0, d 7, T 4, SGD lr 0.05, wd 5e-4) but for the batch, 32 instead of 64 (twice the steps
# in a short schedule: at batch 64 the student alone left its first plateau late, 72 % against
# 80 % at 32 in one trial), and the schedule, 240 epochs scaled to 7 over twice the images
# (5,952: warm-up 20 -> 0.6 epochs, decays at 150/180/210 -> 4/5/6). Pad-2 random crops, no flips
# (characters are not symmetric).
_base_ = '../../cls/cifar100/resnet32x4_resnet8x4_ldrld.py'

model = dict(
    num_classes=62,
    teacher=dict(arch='resnet32', checkpoint=None),
    student=dict(arch='resnet8'),
    data_preprocessor=dict(mean=(0.51, 0.51, 0.51), std=(0.24, 0.24, 0.24), pad=2, flip=False),
)
train_dataloader = dict(batch_size=32, num_workers=0)
val_dataloader = dict(batch_size=500, num_workers=0)
train_cfg = dict(max_epochs=7, val_interval=7)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=0.6, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=7, milestones=[4, 5, 6], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
