"""MobileNetV2 as the KD literature's CIFAR code builds it: the half-width
variant (width multiplier 0.5, expansion 6) registered as ``MobileNetV2``.

Every inverted-residual block keeps its expansion convolution, also where the
expansion ratio is 1. Module names: conv1 (conv/BN/ReLU, stride 2), blocks
(seven stages of blocks whose layers sit in ``conv``), conv2 (1x1 to 1280
channels), classifier (a one-layer sequence). Pooling is adaptive.
"""

import torch.nn as nn

from ._init import normal_fan_out
from .registry import register_model

# expansion t, output channels c, repeats n, first stride s
_STAGES = (
    (1, 16, 1, 1),
    (None, 24, 2, 1),
    (None, 32, 3, 2),
    (None, 64, 4, 2),
    (None, 96, 3, 1),
    (None, 160, 3, 2),
    (None, 320, 1, 1),
)


def _conv_bn_relu(cin, cout, kernel, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.residual else y


class MobileNetV2Cifar(nn.Module):
    def __init__(self, num_classes, expand=6, width=0.5):
        super().__init__()
        cin = int(32 * width)
        self.conv1 = _conv_bn_relu(3, cin, 3, 2)
        stages = []
        for t, c, n, s in _STAGES:
            cout = int(c * width)
            layers = []
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, expand if t is None else t))
                cin = cout
            stages.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(stages)
        last = int(1280 * width) if width > 1.0 else 1280
        self.conv2 = _conv_bn_relu(cin, last, 1, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))
        normal_fan_out(self, linear_std=0.01)

    def forward(self, x):
        x = self.conv1(x)
        for stage in self.blocks:
            x = stage(x)
        x = self.conv2(x)
        return self.classifier(self.avgpool(x).flatten(1))


@register_model("cifar")
def MobileNetV2(num_classes):  # noqa: N802 - the literature's name
    return MobileNetV2Cifar(num_classes, expand=6, width=0.5)
