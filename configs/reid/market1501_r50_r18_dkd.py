# Market-1501 Re-ID: ResNet-18 distilled from a trained ResNet-50 with DKD (alpha 1, beta 8, T 4, its
# loss ramped in over the first 5 epochs).
_base_ = ['./market1501_r18.py']
teacher = dict(name='resnet50', checkpoint=None)
distill_loss = dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0, warmup=5)
work_dir = 'work_dirs/reid/market1501_r50_r18_dkd'
