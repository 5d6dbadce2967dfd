"""ShuffleNetV1 (groups 3, stages 240-480-960) as the KD literature's CIFAR
code builds it, registered as ``ShuffleV1``: a 1x1 stem of 24 channels, no
max pooling, stride-2 units that concatenate an average-pooled shortcut.

Module names: conv1, bn1, layer1..layer3 (units with conv1/bn1/conv2/bn2/
conv3/bn3), linear.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        self.stride = stride
        mid = cout // 4
        # the first unit sees the 24-channel stem, which is not split into groups
        self.first_groups = 1 if cin == 24 else groups
        self.conv1 = nn.Conv2d(cin, mid, kernel_size=1, groups=self.first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, kernel_size=3, stride=stride, padding=1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, kernel_size=1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = channel_shuffle(y, self.first_groups)
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.stride == 2:
            return F.relu(torch.cat([y, F.avg_pool2d(x, 3, stride=2, padding=1)], 1))
        return F.relu(y + x)


class ShuffleNetV1(nn.Module):
    def __init__(self, num_classes, widths=(240, 480, 960), repeats=(4, 8, 4), groups=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for stage, (width, n) in enumerate(zip(widths, repeats), start=1):
            units = []
            for i in range(n):
                # a stride-2 unit concatenates its input, so its branch makes width - cin channels
                units.append(ShuffleUnit(cin, width - cin if i == 0 else width, 2 if i == 0 else 1, groups))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*units))
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


register_model("cifar", "ShuffleV1")(ShuffleNetV1)  # the literature's name
