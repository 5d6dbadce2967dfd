# torchreid's softmax recipe for ResNet-50 on Market-1501 (configs/im_r50_softmax_256x128_amsgrad.yaml of
# deep-person-reid): AMSGrad, lr 0.0003 decayed x0.1 after epoch 20 of 60, the first 5 epochs only the new
# classifier trains; a test and a resumable checkpoint every 5 epochs. The teacher and the students alike.
_base_ = ['./torchreid_defaults.py']
data = dict(root='data')  # holds market1501/Market-1501-v15.09.15/{bounding_box_train,bounding_box_test,query}
train = dict(optim='amsgrad', fixbase_epoch=5)
test = dict(eval_freq=5)
