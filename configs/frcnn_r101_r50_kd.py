# Table 21, KD row (R-101 teacher -> R50 student): Hinton's KD on the RoI class scores.
_base_ = ['./frcnn_r101_r50_ldrld.py']

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=1.0))
