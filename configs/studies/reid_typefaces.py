# make study-reid (docs/typefaces.md): typefaces as identities, unseen ones in query and gallery;
# torchreid ResNet-18 -> ResNet-18. The backbone first trains on single characters of the training
# typefaces (tools/make_toy_data.py reid-glyphs: the stand-in for ImageNet weights), once; the
# teacher and every student start from those weights (teacher.init_checkpoint / model.init_checkpoint
# set to that run's work dir: the checkpoint it wrote last). The teacher sees twice the images of
# each identity and trains three times as long.
_base_ = ['./demo_reid.py']
_cfg = '{{fileDirname}}/../toy/reid_typefaces/market1501_typefaces.py'
_init = {'model.init_checkpoint': 'pretrain'}

name = 'reid-typefaces'
title = (
    'reid: typefaces as identities (unseen typefaces in query and gallery), Market-1501 layout, '
    'torchreid ResNet-18 -> ResNet-18, both from glyph-pretrained weights'
)
data = dict(main='reid-typefaces', pretrain='reid-glyphs')
rows = dict(
    pretrain=dict(
        label='Glyph pretraining',
        config=_cfg,
        args=['--mode', 'teacher'],
        point={'teacher.name': 'resnet18'},  # the architecture both networks have
        options=['train.max_epoch=8', 'train.stepsize=[6]'],
        data_root='pretrain',
        seeds=[0],
    ),
    teacher=dict(
        config=_cfg,
        options=['train.max_epoch=36', 'train.stepsize=[27]'],
        init={'teacher.init_checkpoint': 'pretrain'},
    ),
    student=dict(config=_cfg, init=_init),
    kd=dict(config=_cfg, init=_init),
    dkd=dict(config=_cfg, init=_init),
    ldrld=dict(config=_cfg, init=_init),
)
quick = dict(rows=dict(pretrain=dict(options=[]), teacher=dict(options=[])))
