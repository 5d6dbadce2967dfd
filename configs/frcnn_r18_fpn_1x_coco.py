# Table 21 "Student": Faster R-CNN ResNet-18 FPN trained alone,
# ImageNet-initialised backbone (pytorch style: RGB, mean/std).
_base_ = ['./_base_/frcnn_fpn_ms_1x.py']

model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]),
)
