# make demo, Re-ID: toy Market-1501; torchreid ResNet-18 -> ResNet-18, the teacher on twice the
# images of each identity. Every row is tools/train_reid.py on a config of configs/toy/reid/, one
# network per run, as in the other two tasks.
_base_ = ['./_base_/teacher_and_students.py']
_cfg = '{{fileDirname}}/../toy/reid/'

name = 'reid'
title = 'reid: toy Market-1501, torchreid ResNet-18 -> ResNet-18'
data = dict(main='reid-pair')
metrics = [('mAP', 'mAP (%)'), ('rank1', 'rank-1 (%)')]
priority = 2
rows = dict(
    teacher=dict(label='Teacher', config=_cfg + 'teacher.py', data_root='main/teacher', seeds=[0]),
    student=dict(label='Student', config=_cfg + 'student.py', data_root='main/students'),
    kd=dict(label='KD', config=_cfg + 'kd.py', data_root='main/students', teacher='teacher'),
    dkd=dict(label='DKD', config=_cfg + 'dkd.py', data_root='main/students', teacher='teacher'),
    ldrld=dict(label='LDRLD', config=_cfg + 'ldrld.py', data_root='main/students', teacher='teacher'),
)
quick = dict(size='quick', options=['train.max_epoch=1'])
