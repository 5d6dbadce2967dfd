# torchreid's defaults (deep-person-reid's scripts/default_config.py) with this toolkit's keys: what
# every Re-ID config here inherits, and the schema tools/train_reid.py checks a config against
# (ldrld_reid/config.py DEFAULTS holds the same values; tests/test_reid_units.py checks they agree).
# A config that distils adds teacher=dict(name=ARCH, checkpoint=PATH) and distill_loss=dict(type=...)
# (absent: None, the model trains alone).
task = 'reid'
model = {'name': 'resnet50', 'pretrained': True, 'init_checkpoint': None}
data = {
    'root': 'reid-data',
    'sources': ['market1501'],
    'targets': ['market1501'],
    'workers': 4,
    'height': 256,
    'width': 128,
    'transforms': ['random_flip'],
    'norm_mean': [0.485, 0.456, 0.406],
    'norm_std': [0.229, 0.224, 0.225],
}
sampler = {'train_sampler': 'RandomSampler'}
train = {
    'optim': 'adam',
    'lr': 0.0003,
    'weight_decay': 0.0005,
    'max_epoch': 60,
    'batch_size': 32,
    'fixbase_epoch': 0,
    'open_layers': ['classifier'],
    'lr_scheduler': 'single_step',
    'stepsize': [20],
    'gamma': 0.1,
    'print_freq': 20,
}
loss = {'name': 'softmax', 'softmax': {'label_smooth': True}}
test = {
    'batch_size': 100,
    'dist_metric': 'euclidean',
    'normalize_feature': False,
    'ranks': [1, 5, 10, 20],
    'eval_freq': -1,
    'start_eval': 0,
    'rerank': False,
}
randomness = {'seed': 1}
device = 'auto'
work_dir = None
