"""VGG with batch normalisation in five convolution blocks, as the KD
literature's CIFAR code builds it: vgg8 (one convolution per block) and vgg13
(two per block).

Module names: block0..block4 (sequences of conv / BN / ReLU without the final
ReLU; convolutions carry a bias), pool0..pool3 (max pooling), pool4 (global
average pooling), classifier. As in that code, the fourth max pooling runs
only for 64x64 input (Tiny-ImageNet); 32x32 and 224x224 input skip it.
"""

import torch.nn as nn
import torch.nn.functional as F

from ._init import normal_fan_out
from .registry import register_model


def _conv_block(widths, cin):
    layers = []
    for width in widths:
        layers += [nn.Conv2d(cin, width, kernel_size=3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        cin = width
    return nn.Sequential(*layers[:-1])  # the caller applies the last ReLU


class VGG(nn.Module):
    def __init__(self, stages, num_classes):
        super().__init__()
        cin = 3
        for i, widths in enumerate(stages):
            setattr(self, f"block{i}", _conv_block(widths, cin))
            cin = widths[-1]
        for i in range(4):
            setattr(self, f"pool{i}", nn.MaxPool2d(kernel_size=2, stride=2))
        self.pool4 = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)
        normal_fan_out(self, linear_std=0.01)

    def forward(self, x):
        height = x.shape[2]
        x = self.pool0(F.relu(self.block0(x)))
        x = self.pool1(F.relu(self.block1(x)))
        x = self.pool2(F.relu(self.block2(x)))
        x = F.relu(self.block3(x))
        if height == 64:
            x = self.pool3(x)
        x = F.relu(self.block4(x))
        return self.classifier(self.pool4(x).flatten(1))


@register_model("cifar")
def vgg8(num_classes):
    return VGG([[64], [128], [256], [512], [512]], num_classes)


@register_model("cifar")
def vgg13(num_classes):
    return VGG([[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]], num_classes)
