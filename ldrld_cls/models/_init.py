"""Weight initialisation shared by the CIFAR-family models."""

import math

import torch.nn as nn


def kaiming_fan_out(model):
    """He-normal (fan-out) convolutions, BN at weight 1 / bias 0 (ResNets)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def normal_fan_out(model, linear_std=None):
    """Convolutions drawn from N(0, 2 / (k*k*out)), zero biases, BN 1/0; linear
    layers from N(0, linear_std) with zero bias when ``linear_std`` is given,
    else only their bias is zeroed (WRN, VGG, MobileNetV2)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear_std is not None:
                nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)
