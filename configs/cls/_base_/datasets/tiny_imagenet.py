# Tiny-ImageNet-200 as distributed under data/tiny-imagenet-200 (val/ read
# through val_annotations.txt). 64x64 images, batch 128. Training
# augmentation: pad 4, random 64x64 crop, horizontal flip, on the device.
_base_ = ['./_loaders.py']
data_root = 'data/tiny-imagenet-200'
model = dict(
    num_classes=200,
    family='cifar',
    data_preprocessor=dict(mean=(0.4802, 0.4481, 0.3975), std=(0.2302, 0.2265, 0.2262), pad=4, flip=True),
)
train_dataloader = dict(batch_size=128, num_workers=8, dataset=dict(type='TinyImageNet', data_root=data_root))
val_dataloader = dict(
    batch_size=256, num_workers=4, dataset=dict(type='TinyImageNet', data_root=data_root, split='val')
)
