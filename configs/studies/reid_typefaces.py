# make study-reid (docs/typefaces.md): typefaces as identities, unseen ones in query and gallery;
# torchreid ResNet-18 -> ResNet-18. The backbone first trains on single characters of the training
# typefaces (pretrain.py on tools/make_toy_data.py reid-glyphs: the stand-in for ImageNet weights),
# once; the teacher and every student start from those weights (model.init_checkpoint set to that
# run's work dir: the checkpoint it wrote last). The teacher sees four times the images of each identity,
# with random erasing (teacher.py).
_base_ = ['./demo_reid.py']
_cfg = '{{fileDirname}}/../toy/reid_typefaces/'
_init = {'model.init_checkpoint': 'pretrain'}

name = 'reid-typefaces'
title = (
    'reid: typefaces as identities (unseen typefaces in query and gallery), Market-1501 layout, '
    'torchreid ResNet-18 -> ResNet-18, both from glyph-pretrained weights'
)
data = dict(main='reid-typefaces', pretrain='reid-glyphs')
rows = dict(
    pretrain=dict(label='Glyph pretraining', config=_cfg + 'pretrain.py', data_root='pretrain', seeds=[0]),
    teacher=dict(config=_cfg + 'teacher.py', init=_init),
    student=dict(config=_cfg + 'student.py', init=_init),
    kd=dict(config=_cfg + 'kd.py', init=_init),
    dkd=dict(config=_cfg + 'dkd.py', init=_init),
    ldrld=dict(config=_cfg + 'ldrld.py', init=_init),
)
