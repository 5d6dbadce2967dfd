# Detection at toy scale (the tests and `make demo`): Faster R-CNN R-18 FPN, the
# packaged student config, on toy COCO images of 160x128 (toy/det.py,
# `python tools/make_toy_data.py det --out DIR`; pass --data-root DIR). No
# ImageNet weights (nothing downloads), so every stage trains; heads at half
# width (toy images hold 1 to 3 objects); 128 sampled RoIs per image; at test
# time 200 -> 100 RPN proposals per image and every box scored.
_base_ = '../../frcnn_r18_fpn_1x_coco.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=[(160, 128), (192, 144)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
model = dict(
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(out_channels=128),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=128), bbox_head=dict(in_channels=128, fc_out_channels=256)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=100), rcnn=dict(score_thr=0.0)))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=8, val_interval=8)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=8, milestones=[6], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=1))
log_processor = dict(window_size=1)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
