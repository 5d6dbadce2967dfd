# The study's KD row: configs/cls/cifar100/resnet56_resnet20_kd.py's loss (weight 0.9, T 4, CE 0.1),
# no loss warm-up (the study's second table adds one to every loss alike).
_base_ = './ldrld.py'

model = dict(
    distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=0.9, temperature=4.0, ce_weight=0.1, warmup=0.0)
)
