# The cascade KD row (configs/toy/det/kd.py's loss on every stage).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=2.0))
