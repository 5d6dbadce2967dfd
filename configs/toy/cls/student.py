# The toy student trained alone: configs/toy/cls/ldrld.py without teacher and loss.
_base_ = './ldrld.py'

model = dict(teacher=None, distill_loss=None)
