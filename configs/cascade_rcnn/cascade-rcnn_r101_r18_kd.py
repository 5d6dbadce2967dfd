# Cascade R-CNN R-101 -> R18 with Hinton's KD on every stage's class scores.
_base_ = ['./cascade-rcnn_r101_r18_ldrld.py']

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=1.0))
