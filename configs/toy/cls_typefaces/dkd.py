# The study's DKD row: resnet32x4_resnet8x4_dkd.py's loss (alpha 1, beta 8, T 4), the warm-up
# scaled with the schedule (20 of 240 epochs -> 1.7 of 20).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0, warmup=1.7))
