# Everything a cifar100 config shares: data set, schedule, runtime.
_base_ = ['./datasets/cifar100.py', './schedules/sgd_240e.py', './default_runtime.py']
