# ImageNet-1K as class folders under data/imagenet/{train,val}/<wnid>/.
# Batch 256. Training: random resized crop to 224 and horizontal flip (in the
# data loader); validation: resize to 256, centre crop 224. Normalisation on
# the device.
_base_ = ['./_loaders.py']
data_root = 'data/imagenet'
model = dict(
    num_classes=1000, family='imagenet', data_preprocessor=dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
)
train_dataloader = dict(
    batch_size=256,
    num_workers=16,
    dataset=dict(
        type='ImageNetFolder',
        data_root=data_root,
        pipeline=[dict(type='RandomResizedCrop', size=224), dict(type='RandomHorizontalFlip')],
    ),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=8,
    dataset=dict(
        type='ImageNetFolder',
        data_root=data_root,
        split='val',
        pipeline=[dict(type='Resize', size=256), dict(type='CenterCrop', size=224)],
    ),
)
