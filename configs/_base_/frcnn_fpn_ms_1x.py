# Shared by the detection configs: Table 21's training recipe on top of
# MMDetection's packaged Faster R-CNN 1x config (batch 2 x 8 GPUs = 16, lr 0.02,
# 12 epochs with decay at 8 and 11): multi-scale training with the short side
# drawn from 640-800 (Detectron2's choice list, as in DKD's detection setup),
# this toolkit's modules, and safe checkpoints.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['ldrld_det'], allow_failed_imports=False)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True,
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
# checkpoints written atomically: a crash while saving leaves the previous one intact
default_hooks = dict(checkpoint=dict(backend_args=dict(backend='local_atomic')))
