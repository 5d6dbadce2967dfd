# make demo, Re-ID: toy Market-1501; torchreid ResNet-18 -> ResNet-18, the teacher on twice the
# images of each identity. Every row is tools/train_reid.py on one config: the teacher with
# --mode teacher, the students with distill.loss set.
_base_ = ['./_base_/teacher_and_students.py']
_cfg = '{{fileDirname}}/../toy/reid/market1501_toy.py'

name = 'reid'
title = 'reid: toy Market-1501, torchreid ResNet-18 -> ResNet-18'
data = dict(main='reid-pair')
metrics = [('mAP', 'mAP (%)'), ('rank1', 'rank-1 (%)')]
priority = 2
rows = dict(
    teacher=dict(label='Teacher', config=_cfg, args=['--mode', 'teacher'], data_root='main/teacher', seeds=[0]),
    student=dict(label='Student', config=_cfg, point={'distill.loss': 'none'}, data_root='main/students'),
    kd=dict(label='KD', config=_cfg, point={'distill.loss': 'kd'}, data_root='main/students', teacher='teacher'),
    dkd=dict(label='DKD', config=_cfg, point={'distill.loss': 'dkd'}, data_root='main/students', teacher='teacher'),
    ldrld=dict(
        label='LDRLD', config=_cfg, point={'distill.loss': 'ldrld'}, data_root='main/students', teacher='teacher'
    ),
)
quick = dict(size='quick', options=['train.max_epoch=1'])
