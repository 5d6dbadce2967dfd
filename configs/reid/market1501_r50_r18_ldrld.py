# Market-1501 Re-ID: ResNet-18 distilled from a trained ResNet-50 (configs/reid/market1501_r50.py) with LDRLD.
#   python tools/train_reid.py configs/reid/market1501_r50_r18_ldrld.py --data-root DIR \
#       --teacher-checkpoint work_dirs/reid/market1501_r50          (see docs/reid.md)
# The supplementary material names the teacher/student pair and the metrics but gives no Market-1501
# training settings or loss weights: LDRLD takes Table 11's optimum for a homogeneous pair on CIFAR-100
# (ResNet56 -> ResNet20: alpha 9.5, beta 1.0) with the paper's T 4 and d 7; untuned on Market-1501.
_base_ = ['./market1501_r18.py']
teacher = dict(name='resnet50', checkpoint=None)  # frozen; --teacher-checkpoint sets checkpoint
distill_loss = dict(type='LDRLDLoss', alpha=9.5, beta=1.0, depth=7, temperature=4.0)
work_dir = 'work_dirs/reid/market1501_r50_r18_ldrld'
