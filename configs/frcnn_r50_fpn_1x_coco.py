# Table 21 "Student": Faster R-CNN ResNet-50 FPN trained alone,
# ImageNet-initialised backbone (pytorch style: RGB, mean/std).
_base_ = ['./_base_/frcnn_fpn_ms_1x.py']
