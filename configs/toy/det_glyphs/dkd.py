# The study's DKD row (configs/toy/det/dkd.py on the study's student).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0, warmup=1.0))
