# The typeface study's student distilled from its teacher (teacher.py's run: --teacher-checkpoint)
# with the packaged market1501_r50_r18_ldrld.py loss.
_base_ = ['./student.py']
teacher = dict(name='resnet18', checkpoint=None)
distill_loss = dict(type='LDRLDLoss', alpha=9.5, beta=1.0, depth=7, temperature=4.0)
work_dir = 'work_dirs/reid_typefaces/ldrld'
