# The toy Mask R-CNN student distilled with DKD (./dkd.py's loss) on the box head's class scores.
_base_ = './mask_ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=2.0, warmup=1.0))
