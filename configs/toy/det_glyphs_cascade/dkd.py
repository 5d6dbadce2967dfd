# The cascade DKD row (configs/toy/det/dkd.py's loss on every stage).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0, warmup=1.0))
