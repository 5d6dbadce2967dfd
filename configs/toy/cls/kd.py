# Toy scale of configs/cls/cifar100/resnet56_resnet20_kd.py (the KD of the CRD/DKD code on CIFAR).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=0.9, temperature=4.0, ce_weight=0.1))
