# Detection at toy scale (the tests and `make demo`): the packaged student,
# Faster R-CNN R-18 FPN, at a fraction of its width on small COCO-layout images
# seen at 128x96 (the tests' shapes, toy/det.py; the demo's 128x128 digit scenes,
# toy/glyph_scenes.py, `python tools/make_toy_data.py det-digits --out DIR`; pass
# --data-root DIR/students): ResNet-18 with 32 base channels (the packaged 64), FPN,
# RPN and RoI features of 64 channels (256), a 128-wide box head (1024), 64
# sampled RoIs per image (512) from 200 RPN proposals (1000); at test time
# 200 -> 100 RPN proposals per image and every box scored. No ImageNet weights
# (nothing downloads), so every stage trains.
_base_ = '../../frcnn_r18_fpn_1x_coco.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=[(128, 96), (144, 108)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 96), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
model = dict(
    backbone=dict(
        base_channels=32, init_cfg=None, frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)
    ),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64), bbox_head=dict(in_channels=64, fc_out_channels=128)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=400, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=100), rcnn=dict(score_thr=0.0)),
)
# no loader processes (persistent_workers off too: tools/train_det.py does that for num_workers=0, MMDetection's
# own tools/train.py does not)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# 6 epochs at lr 0.005, x0.1 after 5: what fits `make demo`'s budget (360 iterations on its 120 digit
# scenes; lr 0.01 with gradient clipping learned no faster and placed boxes worse: AP75 0.7 against 3.0)
train_cfg = dict(max_epochs=6, val_begin=1, val_interval=6)
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=6, milestones=[5], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=4), checkpoint=dict(max_keep_ckpts=1))
log_processor = dict(window_size=1)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
