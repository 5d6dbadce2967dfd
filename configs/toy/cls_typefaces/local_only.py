# Table 15, without RNTK: the local dense relations term alone.
_base_ = './ldrld.py'

model = dict(distill_loss=dict(use_rntk=False))
