# Section 3.2 / Table 5, without ADW: every class pair weighted 1 instead of by rank.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(adw=False))
