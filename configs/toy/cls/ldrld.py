# Classification at toy scale (`make demo`, the tests): the packaged CIFAR-100
# ResNet56 -> ResNet20 LDRLD recipe (Table 8: alpha 9.5, beta 1.0, d 7, T 4) on
# real handwritten digits in CIFAR-100's format (toy/digits.py,
# `python tools/make_toy_data.py digits --out DIR`), with a ResNet-20 teacher
# and a ResNet-8 student: 10 classes, pad-2 random crops and no flips (digits
# are not symmetric), a short schedule. Pass --teacher-checkpoint and
# --data-root DIR/students.
_base_ = '../../cls/cifar100/resnet56_resnet20_ldrld.py'

model = dict(
    num_classes=10,
    teacher=dict(arch='resnet20', checkpoint=None),
    student=dict(arch='resnet8'),
    data_preprocessor=dict(mean=(0.101, 0.101, 0.101), std=(0.283, 0.283, 0.283), pad=2, flip=False),
)
train_dataloader = dict(batch_size=32, num_workers=0)
val_dataloader = dict(batch_size=500, num_workers=0)
optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=20, val_interval=20)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=20, milestones=[15, 18], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])  # no TensorBoard files at toy scale
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
