# Everything a cub200 config shares: data set, schedule, runtime.
_base_ = ['./datasets/cub200.py', './schedules/sgd_240e.py', './default_runtime.py']
