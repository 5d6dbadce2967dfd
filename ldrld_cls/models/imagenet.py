"""ImageNet-scale classifiers (family ``'imagenet'``): torchvision's ResNet-18,
ResNet-34 and ResNet-50 (so torchvision state dicts load as teachers; built
with ``weights=None``, nothing is downloaded) and MobileNetV1 as the KD
literature's ImageNet code builds it (a ``model`` sequence of conv/BN/ReLU
stages and depthwise-separable stages, then ``fc``).
"""

import torch.nn as nn

from .registry import register_model


def _conv_bn_relu(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _depthwise_separable(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, 1, 0, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


# (output channels, stride) of the thirteen depthwise-separable stages
_MOBILENET_V1 = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


class MobileNetV1Net(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        stages, cin = [_conv_bn_relu(3, 32, 2)], 32
        for cout, stride in _MOBILENET_V1:
            stages.append(_depthwise_separable(cin, cout, stride))
            cin = cout
        stages.append(nn.AdaptiveAvgPool2d(1))
        self.model = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.model(x).flatten(1))


@register_model("imagenet")
def ResNet18(num_classes):  # noqa: N802 - the literature's name
    import torchvision  # here: importing it costs seconds, and CIFAR runs need none of it

    return torchvision.models.resnet18(weights=None, num_classes=num_classes)


@register_model("imagenet")
def ResNet34(num_classes):  # noqa: N802
    import torchvision

    return torchvision.models.resnet34(weights=None, num_classes=num_classes)


@register_model("imagenet")
def ResNet50(num_classes):  # noqa: N802
    import torchvision

    return torchvision.models.resnet50(weights=None, num_classes=num_classes)


@register_model("imagenet")
def MobileNetV1(num_classes):  # noqa: N802
    return MobileNetV1Net(num_classes)
