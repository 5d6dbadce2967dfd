# Mask R-CNN R-18 FPN trained alone (the "Student" row of the R-18 pair): the R-50 recipe
# with an ImageNet-initialised ResNet-18 and the FPN inputs it gives.
_base_ = ['./mask-rcnn_r50_fpn_1x_coco.py']

model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]),
)
