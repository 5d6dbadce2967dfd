# Market-1501 Re-ID: ResNet-18 distilled from a trained ResNet-50 with KD (Hinton et al., T 4).
_base_ = ['./market1501_r18.py']
teacher = dict(name='resnet50', checkpoint=None)
distill_loss = dict(type='KDLoss', loss_weight=1.0, temperature=4.0)
work_dir = 'work_dirs/reid/market1501_r50_r18_kd'
