# The study's KD row (configs/toy/det/kd.py on the study's student).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=2.0))
