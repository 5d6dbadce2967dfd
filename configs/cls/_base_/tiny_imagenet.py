# Everything a tiny_imagenet config shares: data set, schedule (batch 128,
# lr 0.1 by default), runtime.
_base_ = ['./datasets/tiny_imagenet.py', './schedules/sgd_240e.py', './default_runtime.py']
optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=128)
