# Cascade R-CNN R-101 -> R50 with DKD on every stage's class scores (DKD's detection setup:
# alpha 1, beta 0.25, T 1, its loss ramped in over the first 1000 iterations: 0.136 of an
# epoch of COCO train2017 at batch 16).
_base_ = ['./cascade-rcnn_r101_r50_ldrld.py']

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0, warmup=0.136))
