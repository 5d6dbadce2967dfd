# Re-ID at toy scale (the tests and `make demo`): the packaged recipe on a toy Market-1501
# (toy/reid.py, `python tools/make_toy_data.py reid|reid-pair --out DIR`; pass --data-root DIR):
# ResNet-18 at 64x32 input, no ImageNet weights (nothing downloads), no frozen-base epochs, no
# data-loading processes, 6 epochs (x0.1 after 5), a test and a checkpoint at the end (torchreid's
# eval_freq -1; --cfg-options test.eval_freq=N for resumable checkpoints every N). This file is the
# student alone; teacher.py trains the same network as the teacher, kd.py, dkd.py and ldrld.py distil.
_base_ = ['../../reid/market1501_r18.py']
model = dict(pretrained=False)
data = dict(height=64, width=32, workers=0)
work_dir = 'work_dirs/reid_toy/student'
train = dict(batch_size=8, lr=0.001, max_epoch=6, fixbase_epoch=0, stepsize=[5], print_freq=4)
test = dict(batch_size=64, eval_freq=-1)
device = 'cpu'
