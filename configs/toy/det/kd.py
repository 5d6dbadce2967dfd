# Toy scale of configs/frcnn_r101_r18_kd.py, with T = 2 as every toy detection loss.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(_delete_=True, type='KDLoss', loss_weight=1.0, temperature=2.0))
