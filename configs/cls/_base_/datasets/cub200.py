# CUB-200-2011 under data/CUB_200_2011 (images.txt, image_class_labels.txt,
# train_test_split.txt). The CIFAR-family networks trained from scratch at
# 224x224, as in SDD's CUB-200 setup that the paper points to: training
# images resized to 256x256, a random 224 crop and a horizontal flip; test
# images resized to 256x256 and centre-cropped to 224. ImageNet mean/std.
_base_ = ['./_loaders.py']
data_root = 'data/CUB_200_2011'
model = dict(
    num_classes=200, family='cifar', data_preprocessor=dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
)
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='CUB200',
        data_root=data_root,
        pipeline=[
            dict(type='Resize', size=(256, 256)),
            dict(type='RandomCrop', size=224),
            dict(type='RandomHorizontalFlip'),
        ],
    ),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        type='CUB200',
        data_root=data_root,
        split='test',
        pipeline=[dict(type='Resize', size=(256, 256)), dict(type='CenterCrop', size=224)],
    ),
)
