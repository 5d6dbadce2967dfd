# The study's KD row: configs/cls/cifar100/resnet32x4_resnet8x4_kd.py's loss (weight 0.9, T 4, CE 0.1).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=0.9, temperature=4.0, ce_weight=0.1))
