"""CIFAR ResNets (6n+2 layers of basic blocks, three stages) as the KD
literature names them: resnet8, resnet14, resnet20, resnet32, resnet44,
resnet56, resnet110 (stages 16-32-64 after a 16-channel stem) and the 4x wider
resnet8x4, resnet32x4 (32-channel stem, stages 64-128-256).

Module names (conv1, bn1, layer1..layer3 with conv1/bn1/conv2/bn2/downsample
per block, fc) are those of the CIFAR teachers shared with CRD, so their
``{'model': state_dict}`` files load strictly. Global average pooling is
adaptive: identical to the original 8x8 pooling at 32x32 input, and it also
serves Tiny-ImageNet (64x64) and CUB-200 (224x224).
"""

import torch.nn as nn
import torch.nn.functional as F

from ._init import kaiming_fan_out
from ._stage import add_stages, blocks_per_stage
from .registry import register_variants


def _conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = _conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + shortcut)


class ResNetCifar(nn.Module):
    """``depth = 6n + 2``; ``widths = (stem, stage1, stage2, stage3)``."""

    def __init__(self, depth, widths, num_classes):
        super().__init__()
        blocks = blocks_per_stage(depth, 2, "CIFAR ResNet")
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        cin = add_stages(self, BasicBlock, widths[0], widths[1:], (blocks,) * 3, (1, 2, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        kaiming_fan_out(self)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


_NARROW = (16, 16, 32, 64)
_WIDE = (32, 64, 128, 256)

register_variants(
    "cifar",
    ResNetCifar,
    {f"resnet{depth}": (depth, _NARROW) for depth in (8, 14, 20, 32, 44, 56, 110)}
    | {"resnet8x4": (8, _WIDE), "resnet32x4": (32, _WIDE)},
)
