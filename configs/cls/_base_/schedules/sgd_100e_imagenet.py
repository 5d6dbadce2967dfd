# ImageNet-1K recipe (supplementary section 2.4): SGD (momentum 0.9, weight
# decay 1e-4), batch 256, lr 0.1 for 100 epochs, warmed up linearly over the
# first 10 epochs and divided by 10 at epochs 30, 60 and 90.
optim_wrapper = dict(
    type='OptimWrapper',  # over the student alone: the teacher is outside the model's parameters
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=100, milestones=[30, 60, 90], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
auto_scale_lr = dict(enable=False, base_batch_size=256)
