# The Re-ID teacher: torchreid's ResNet-50 trained alone on Market-1501 (ImageNet initialisation).
#   python tools/train_reid.py configs/reid/market1501_r50.py --data-root DIR   (see docs/reid.md)
# Its work dir (or its model.pth) is the --teacher-checkpoint of the market1501_r50_r18_*.py students.
_base_ = ['./_base_/market1501_softmax.py']
model = dict(name='resnet50')
work_dir = 'work_dirs/reid/market1501_r50'
