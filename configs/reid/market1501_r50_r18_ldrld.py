# Market-1501 Re-ID: torchreid ResNet-50 teacher -> ResNet-18 student with LDRLD.
#
#   python tools/train_reid.py [this file] [options]   (see docs/reid.md)
#
# An MMEngine config (_base_, --cfg-options) whose keys are torchreid's own (deep-person-reid's
# scripts/default_config.py); this file sets only what differs from those defaults
# (ldrld_reid/config.py's DEFAULTS, which is also the schema). The recipe is torchreid's softmax
# recipe for ResNet-50 on Market-1501 (configs/im_r50_softmax_256x128_amsgrad.yaml of
# deep-person-reid), used for the teacher and the student alike. The supplementary material names
# the teacher/student pair and the metrics but gives no Market-1501 training settings or loss
# weights: LDRLD takes Table 11's optimum for a homogeneous pair on CIFAR-100 (ResNet56 ->
# ResNet20: alpha 9.5, beta 1.0) with the paper's T 4 and d 7; untuned on Market-1501.
task = 'reid'
model = dict(name='resnet18')  # the student (torchreid.models names)
teacher = dict(name='resnet50')
data = dict(root='data')  # holds market1501/Market-1501-v15.09.15/{bounding_box_train,bounding_box_test,query}
work_dir = 'work_dirs/reid_market1501_r50_r18'
train = dict(
    optim='amsgrad',  # Adam with AMSGrad; lr 0.0003, x0.1 after epoch 20 of 60 (the defaults)
    fixbase_epoch=5,  # first 5 epochs: only the new classifier trains
)
distill = dict(ldrld=dict(alpha=9.5, beta=1.0))
test = dict(eval_freq=5)  # test and write a resumable checkpoint every 5 epochs (torchreid: -1, the end only)
