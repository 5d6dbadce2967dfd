"""ShuffleNetV2 (1x: stages 116-232-464, 1024 channels before the classifier)
as the KD literature's CIFAR code builds it, registered as ``ShuffleV2``: a
1x1 stem of 24 channels and no max pooling.

Module names: conv1, bn1, layer1..layer3 (a down-sampling unit with conv1..5/
bn1..5, then basic units with conv1..3/bn1..3), conv2, bn2, linear.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model
from .shufflenetv1 import channel_shuffle


class BasicUnit(nn.Module):
    """Half the channels pass through; the other half go through 1x1, 3x3
    depthwise and 1x1 convolutions; the halves are joined and shuffled."""

    def __init__(self, channels):
        super().__init__()
        half = channels // 2
        self.conv1 = nn.Conv2d(half, half, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.conv2 = nn.Conv2d(half, half, kernel_size=3, padding=1, groups=half, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv3 = nn.Conv2d(half, half, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)

    def forward(self, x):
        keep, work = x.chunk(2, dim=1)
        y = F.relu(self.bn1(self.conv1(work)))
        y = F.relu(self.bn3(self.conv3(self.bn2(self.conv2(y)))))
        return channel_shuffle(torch.cat([keep, y], 1), 2)


class DownUnit(nn.Module):
    """Two stride-2 branches, each giving half of ``cout`` channels."""

    def __init__(self, cin, cout):
        super().__init__()
        mid = cout // 2
        self.conv1 = nn.Conv2d(cin, cin, kernel_size=3, stride=2, padding=1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, mid, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(cin, mid, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, kernel_size=3, stride=2, padding=1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, kernel_size=1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x):
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, num_classes, widths=(116, 232, 464), repeats=(3, 7, 3), last=1024):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        for i, (cin, width, n) in enumerate(zip((24, *widths[:-1]), widths, repeats), start=1):
            setattr(self, f"layer{i}", nn.Sequential(DownUnit(cin, width), *[BasicUnit(width) for _ in range(n)]))
        self.conv2 = nn.Conv2d(widths[-1], last, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(last)
        self.linear = nn.Linear(last, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


register_model("cifar", "ShuffleV2")(ShuffleNetV2)  # the literature's name
