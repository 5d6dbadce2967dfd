"""Pieces the CIFAR-family ResNets share: blocks per stage from the depth, and
a stage of stacked residual blocks."""

import torch.nn as nn

from ldrld_core.errors import ConfigError


def blocks_per_stage(depth, fixed_layers, network):
    """``(depth - fixed_layers) / 6``: the blocks in each of three stages of two
    convolutions per block, or a ConfigError naming the depths that exist."""
    if depth < fixed_layers + 6 or (depth - fixed_layers) % 6 != 0:
        examples = ", ".join(str(fixed_layers + 6 * n) for n in (1, 2, 3, 5))
        raise ConfigError(f"{network} depth must be 6n+{fixed_layers} ({examples}, ...), got {depth}")
    return (depth - fixed_layers) // 6


def stage(block, n, cin, width, stride):
    """``n`` blocks ``block(cin, width, stride)``, the first with ``stride`` and
    the rest with 1, as one ``nn.Sequential``; returns it and its output width."""
    cout = width * getattr(block, "expansion", 1)
    return nn.Sequential(*[block(cin if i == 0 else cout, width, stride if i == 0 else 1) for i in range(n)]), cout


def add_stages(model, block, cin, widths, repeats, strides):
    """Set ``model.layer1``, ``layer2``, ... to the stages of ``block`` (one per
    width, with its repeat count and first stride); returns the output width."""
    for i, (width, n, stride) in enumerate(zip(widths, repeats, strides), start=1):
        layer, cin = stage(block, n, cin, width, stride)
        setattr(model, f"layer{i}", layer)
    return cin
