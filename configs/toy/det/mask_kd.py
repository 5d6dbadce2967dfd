# The toy Mask R-CNN student distilled with KD (./kd.py's loss) on the box head's class scores.
_base_ = './mask_ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=2.0))
