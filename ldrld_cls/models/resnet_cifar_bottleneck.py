"""The KD literature's CIFAR "ResNet50": a bottleneck ResNet-50 (3-4-6-3
blocks, stages 64-128-256-512 times 4) adapted to 32x32 input with a 3x3 stem
and no max pooling. Not torchvision's ResNet-50 (family ``'imagenet'``).

Module names: conv1, bn1, layer1..layer4 (blocks with conv1..3/bn1..3 and a
``shortcut`` sequence, empty where the shape is kept), linear.
"""

import torch.nn as nn
import torch.nn.functional as F

from ._init import kaiming_fan_out
from ._stage import add_stages
from .registry import register_model


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + self.shortcut(x))


class BottleneckResNetCifar(nn.Module):
    def __init__(self, repeats, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = add_stages(self, Bottleneck, 64, (64, 128, 256, 512), repeats, (1, 2, 2, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, num_classes)
        kaiming_fan_out(self)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.linear(self.avgpool(x).flatten(1))


@register_model("cifar")
def ResNet50(num_classes):  # noqa: N802 - the literature's name
    return BottleneckResNetCifar((3, 4, 6, 3), num_classes)
