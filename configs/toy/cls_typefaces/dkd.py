# The study's DKD row: configs/cls/cifar100/resnet56_resnet20_dkd.py's loss (alpha 1, beta 2, T 4) with
# no loss warm-up, like the KD and LDRLD rows: the study compares the losses on equal terms, first as
# the LDRLD recipe has them (no ramp), then with one common loss warm-up for all three.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=2.0, temperature=4.0, warmup=0))
