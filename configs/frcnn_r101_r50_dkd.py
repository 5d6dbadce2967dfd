# Table 21, DKD row (R-101 teacher -> R50 student): DKD's detection setting,
# T = 1, alpha 1, beta 0.25, loss weight warmed up over the first 1000
# iterations: 0.136 of an epoch (COCO train2017 at batch 16 is 7,330 iterations
# an epoch; the losses count progress in epochs).
_base_ = ['./frcnn_r101_r50_ldrld.py']

model = dict(distill_loss=dict(_delete_=True, type='DKDLoss', alpha=1.0, beta=0.25, temperature=1.0, warmup=0.136))
