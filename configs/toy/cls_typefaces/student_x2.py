# The study's student alone on twice its schedule (32 epochs, lr warm-up 2, decays at 22/26/30;
# batch 16): the check that 16 epochs compare the rows near convergence (docs/typefaces.md). Run
# once, beside the study:
#   python tools/sweep.py configs/toy/cls_typefaces/student_x2.py --seeds 0 1 2 \
#       --data-root outputs/study_cls/cls-typefaces/data/main/students --out outputs/study_cls/student_x2
_base_ = './student.py'

train_cfg = dict(max_epochs=32, val_interval=32)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=32, milestones=[22, 26, 30], gamma=0.1),
]
