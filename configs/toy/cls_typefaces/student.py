# The study's student trained alone: ldrld.py without teacher and loss.
_base_ = './ldrld.py'

model = dict(teacher=None, distill_loss=None)
