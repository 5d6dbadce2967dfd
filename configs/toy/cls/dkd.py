# Toy scale of configs/cls/cifar100/resnet56_resnet20_dkd.py: beta 2 for this
# pair; the warm-up scaled with the schedule (20 of 240 epochs -> 1.7 of 20).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0, warmup=1.7))
