# Table 15, without the local term (d 7), and Table 17: RNTK alone at depth d (the study sweeps
# model.distill_loss.depth over 3, 5, 7, 9).
_base_ = './ldrld.py'

model = dict(distill_loss=dict(use_local=False))
