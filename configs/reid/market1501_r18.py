# The Re-ID student alone: torchreid's ResNet-18 on Market-1501, the baseline of the distilled rows.
_base_ = ['./_base_/market1501_softmax.py']
model = dict(name='resnet18')
work_dir = 'work_dirs/reid/market1501_r18'
