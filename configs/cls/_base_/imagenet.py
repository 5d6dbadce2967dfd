# Everything an imagenet config shares: data set, schedule, runtime.
_base_ = ['./datasets/imagenet.py', './schedules/sgd_100e_imagenet.py', './default_runtime.py']
