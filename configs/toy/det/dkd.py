# Toy scale of configs/frcnn_r101_r18_dkd.py: DKD with its loss weight warmed up
# over the first epoch; T = 2 as every toy detection loss.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0, warmup=1.0))
