# Table 21, DKD row (R-101 teacher -> R50 student): DKD's detection setting,
# T = 1, alpha 1, beta 0.25, loss weight warmed up over the first 1000 iterations.
_base_ = ['./frcnn_r101_r50_ldrld.py']

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0,
                               warmup=1000))
