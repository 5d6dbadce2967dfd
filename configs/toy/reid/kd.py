# The toy Re-ID student distilled from the toy teacher (teacher.py's run: --teacher-checkpoint) with
# the packaged market1501_r50_r18_kd.py loss.
_base_ = ['./student.py']
teacher = dict(name='resnet18', checkpoint=None)
distill_loss = dict(type='KDLoss', loss_weight=1.0, temperature=4.0)
work_dir = 'work_dirs/reid_toy/kd'
