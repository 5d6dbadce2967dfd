# Mask R-CNN R-50 FPN trained alone (the "Student" row): MMDetection's packaged 1x recipe
# (batch 2 x 8 GPUs, lr 0.02, 12 epochs, decay at 8 and 11; box AP 38.2, mask AP 34.7 in the zoo),
# ImageNet-initialised, with this toolkit's modules and atomic checkpoints.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']

custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)
# checkpoints written atomically: a crash while saving leaves the previous one intact
default_hooks = dict(checkpoint=dict(backend_args=dict(backend='local_atomic')))
