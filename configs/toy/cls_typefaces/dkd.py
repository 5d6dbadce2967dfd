# The study's DKD row: resnet32x4_resnet8x4_dkd.py's loss (alpha 1, beta 8, T 4). Its loss warm-up
# is 1.7 epochs, scaled for the 20-epoch schedule the study had first (20 of 240 -> 1.7 of 20); the
# 7-epoch schedule would scale it to 0.6. The published run (docs/typefaces.md) used 1.7, a longer
# ramp than the other rows get, which docs/typefaces.md weighs in its reading.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0, warmup=1.7))
