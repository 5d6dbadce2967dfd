"""Wide ResNets (Zagoruyko & Komodakis) with pre-activation blocks:
wrn_16_1, wrn_16_2, wrn_40_1, wrn_40_2 (depth 6n+4, widen factor k).

Module names follow the KD literature's CIFAR teachers: conv1, block1..block3
(each a ``layer`` sequence of blocks with bn1/conv1/bn2/conv2 and
``convShortcut`` where the width changes), bn1, fc.
"""

import torch.nn as nn

from ._init import normal_fan_out
from ._stage import blocks_per_stage, stage
from .registry import register_variants


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, kernel_size=3, stride=1, padding=1, bias=False)
        # the shortcut projects the *pre-activated* input when the width changes
        self.convShortcut = nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False) if cin != cout else None

    def forward(self, x):
        act = self.relu1(self.bn1(x))
        y = self.conv2(self.relu2(self.bn2(self.conv1(act))))
        shortcut = x if self.convShortcut is None else self.convShortcut(act)
        return y + shortcut


class WideStage(nn.Module):
    def __init__(self, blocks, cin, cout, stride):
        super().__init__()
        self.layer, _ = stage(PreActBlock, blocks, cin, cout, stride)

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen, num_classes):
        super().__init__()
        blocks = blocks_per_stage(depth, 4, "WRN")
        widths = (16, 16 * widen, 32 * widen, 64 * widen)
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, padding=1, bias=False)
        self.block1 = WideStage(blocks, widths[0], widths[1], 1)
        self.block2 = WideStage(blocks, widths[1], widths[2], 2)
        self.block3 = WideStage(blocks, widths[2], widths[3], 2)
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3], num_classes)
        normal_fan_out(self)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        x = self.relu(self.bn1(x))
        return self.fc(self.avgpool(x).flatten(1))


register_variants(
    "cifar", WideResNet, {f"wrn_{depth}_{widen}": (depth, widen) for depth in (16, 40) for widen in (1, 2)}
)
