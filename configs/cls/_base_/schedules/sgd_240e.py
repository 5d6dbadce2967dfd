# CIFAR-100 / Tiny-ImageNet / CUB-200 recipe (supplementary section 2.4): SGD
# with momentum 0.9 and weight decay 5e-4 for 240 epochs, the learning rate
# warmed up linearly over the first 20 epochs (per iteration) and divided by
# 10 at epochs 150, 180 and 210. Pair configs set the learning rate
# (0.05, or 0.01 for MobileNetV2/ShuffleNet students on CIFAR-100).
optim_wrapper = dict(
    type='OptimWrapper',  # over the student alone: the teacher is outside the model's parameters
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=20, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=240, milestones=[150, 180, 210], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
# the batch size in the dataloader is per process; the recipe's is the total
auto_scale_lr = dict(enable=False, base_batch_size=64)
