# CIFAR-100 from torchvision's cifar-100-python/ folder under data/cifar100
# (--data-root DIR to point elsewhere). Batch 64. Training augmentation: pad 4,
# random 32x32 crop, horizontal flip -- done per batch on the device by the
# data preprocessor, which also normalises (CRD's CIFAR-100 mean/std).
_base_ = ['./_loaders.py']
data_root = 'data/cifar100'
model = dict(
    num_classes=100,
    family='cifar',
    data_preprocessor=dict(mean=(0.5071, 0.4867, 0.4408), std=(0.2675, 0.2565, 0.2761), pad=4, flip=True),
)
train_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(type='CIFAR100', data_root=data_root))
val_dataloader = dict(batch_size=256, num_workers=2, dataset=dict(type='CIFAR100', data_root=data_root, split='test'))
