# The classification study on real typefaces (`make study-cls`, docs/typefaces.md): 62 characters
# (0-9, A-Z, a-z) of packaged Google Fonts families in CIFAR-100's format (toy/typeface_cls.py,
# `python tools/make_toy_data.py cls-typefaces --out DIR`; pass --data-root DIR/students and
# --teacher-checkpoint). The pair is ResNet20 -> ResNet14, CIFAR ResNets of the paper's narrow
# family; the teacher knows more than a student can learn alone because it trains on 2.6x the
# images, in more typefaces. Why these two: ResNet8 stayed at chance for 5 epochs alone in every
# setting tried (lr 0.05 or 0.01, a 0.6- or 3-epoch lr warm-up, batch 64 at lr 0.1) and a ResNet32
# teacher for 4, where ResNet14 and ResNet20 left it in their second or third epoch
# (docs/typefaces.md). The loss weights are Table 8's narrow-ResNet recipe (ResNet56 -> ResNet20:
# alpha 9.5, beta 1.0, d 7, T 4; SGD lr 0.05, wd 5e-4), batch 16, 16 epochs (lr warm-up 1 epoch,
# decays x0.1 at 11/13/15) for every row (the teacher: batch 32, teacher.py). Batch 16 because at
# batch 32 the student alone ended 3.35 points below twice its schedule (84.48 +- 1.22 against 87.83)
# and at batch 16 near it (docs/typefaces.md). Pad-2 random crops, no flips (characters are not
# symmetric). The study's second table sets model.distill_loss.warmup on this config,
# kd.py and dkd.py alike (configs/studies/cls_typefaces.py: the rows *_warmup).
_base_ = '../../cls/cifar100/resnet56_resnet20_ldrld.py'

model = dict(
    num_classes=62,
    teacher=dict(arch='resnet20', checkpoint=None),
    student=dict(arch='resnet14'),
    distill_loss=dict(warmup=0.0),  # the recipe has no loss warm-up
    data_preprocessor=dict(mean=(0.51, 0.51, 0.51), std=(0.24, 0.24, 0.24), pad=2, flip=False),
)
train_dataloader = dict(batch_size=16, num_workers=0)
val_dataloader = dict(batch_size=500, num_workers=0)
train_cfg = dict(max_epochs=16, val_interval=16)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=16, milestones=[11, 13, 15], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
