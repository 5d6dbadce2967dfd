"""The classification model zoo: names, state-dict keys and shapes (pinned in
tests/cls_model_shapes.json), the sizes docs/classification.md lists ("Model zoo"), forward
passes at each model's input size, strict loading of teacher checkpoints.

Regenerate the pinned shapes after a reviewed change with
``python tests/test_cls_models.py --regenerate``.
"""

import functools
import json
import os
import re
import sys

import pytest
import torch

from ldrld_cls import UnknownModelError, build_classifier, list_models
from ldrld_core import CheckpointError, load_checkpoint_into

SHAPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cls_model_shapes.json")
NUM_CLASSES = {"cifar": 100, "imagenet": 1000}

# docs/classification.md's model sizes: the state dict (weights and BN statistics) in millions, 100 classes
DOC_COUNTS_M = {
    "resnet8x4": 1.24,
    "resnet32x4": 7.44,
    "wrn_40_2": 2.26,
    "wrn_16_2": 0.71,
    "vgg13": 9.47,
    "vgg8": 3.97,
    "ResNet50": 23.76,
    "MobileNetV2": 0.83,
    "ShuffleV1": 0.97,
    "ShuffleV2": 1.37,
    "resnet56": 0.87,
    "resnet110": 1.74,
    "resnet20": 0.28,
}

EXPECTED_NAMES = {
    "cifar": {
        "resnet8",
        "resnet14",
        "resnet20",
        "resnet32",
        "resnet44",
        "resnet56",
        "resnet110",
        "resnet8x4",
        "resnet32x4",
        "wrn_16_1",
        "wrn_16_2",
        "wrn_40_1",
        "wrn_40_2",
        "vgg8",
        "vgg13",
        "MobileNetV2",
        "ShuffleV1",
        "ShuffleV2",
        "ResNet50",
    },
    "imagenet": {"ResNet18", "ResNet34", "ResNet50", "MobileNetV1"},
}


@pytest.fixture(autouse=True)
def one_thread():
    """Two cores shared with other jobs: one intra-op thread is many times faster here."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _describe(family, name):
    model = build_classifier(name, NUM_CLASSES[family], family)
    state = model.state_dict()
    return {
        "num_classes": NUM_CLASSES[family],
        "parameters": sum(p.numel() for p in model.parameters()),
        "state_numel": sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")),
        "keys": {k: list(v.shape) for k, v in state.items()},
    }


@functools.lru_cache(maxsize=1)
def _pinned():
    with open(SHAPES) as f:
        return json.load(f)


def test_registry_holds_the_literature_names():
    assert {f: set(list_models(f)) for f in EXPECTED_NAMES} == EXPECTED_NAMES


@pytest.mark.parametrize("family,name", [(f, n) for f in sorted(EXPECTED_NAMES) for n in sorted(EXPECTED_NAMES[f])])
def test_state_dict_keys_and_shapes_are_pinned(family, name):
    pinned = _pinned()[f"{family}/{name}"]
    now = _describe(family, name)
    assert list(now["keys"]) == list(pinned["keys"]), "state-dict key names or order changed"
    assert now == pinned


@pytest.mark.parametrize("name", sorted(DOC_COUNTS_M))
def test_documented_parameter_counts(name):
    # the documented counts are the state dict's size (weights and BN running statistics), 100 classes
    assert round(_pinned()[f"cifar/{name}"]["state_numel"] / 1e6, 2) == DOC_COUNTS_M[name]


def test_pinned_layouts_match_the_published_cifar_teachers():
    """Spot checks of names the KD literature's CIFAR teachers use."""
    pinned = _pinned()
    keys = {name: set(entry["keys"]) for name, entry in pinned.items()}
    expected = {"conv1.weight", "layer3.4.conv2.weight", "layer2.0.downsample.0.weight", "fc.weight"}
    assert expected <= keys["cifar/resnet32x4"]
    assert pinned["cifar/resnet32x4"]["keys"]["conv1.weight"] == [32, 3, 3, 3]
    assert pinned["cifar/resnet8x4"]["keys"]["fc.weight"] == [100, 256]
    assert {"block1.layer.0.convShortcut.weight", "block3.layer.5.bn2.running_var", "bn1.weight", "fc.bias"} <= keys[
        "cifar/wrn_40_2"
    ]
    assert "block1.layer.0.convShortcut.weight" not in keys["cifar/wrn_40_1"]  # 16 -> 16 channels: no projection
    assert {"block0.0.bias", "block0.1.running_mean", "block4.4.weight", "classifier.weight"} <= keys["cifar/vgg13"]
    assert {"conv1.0.weight", "blocks.6.0.conv.7.weight", "conv2.1.weight", "classifier.0.weight"} <= keys[
        "cifar/MobileNetV2"
    ]
    assert pinned["cifar/MobileNetV2"]["keys"]["blocks.0.0.conv.0.weight"] == [16, 16, 1, 1]
    assert pinned["cifar/ShuffleV1"]["keys"]["layer1.0.conv1.weight"] == [54, 24, 1, 1]  # (240 - 24) / 4, 1 group
    assert pinned["cifar/ShuffleV1"]["keys"]["linear.weight"] == [100, 960]
    assert {"layer1.0.conv5.weight", "layer3.3.bn3.weight", "conv2.weight", "linear.weight"} <= keys["cifar/ShuffleV2"]
    assert {"layer4.2.conv3.weight", "layer1.0.shortcut.0.weight", "linear.weight"} <= keys["cifar/ResNet50"]
    assert "layer1.1.shortcut.0.weight" not in keys["cifar/ResNet50"]
    assert {"model.0.0.weight", "model.13.3.weight", "fc.weight"} <= keys["imagenet/MobileNetV1"]
    assert pinned["imagenet/ResNet50"]["keys"]["fc.weight"] == [1000, 2048]


def _input_sizes(family, name):
    if family == "imagenet":
        return [224]
    sizes = [32]  # CIFAR-100
    if name in ("wrn_40_2", "wrn_16_2", "resnet56", "resnet110", "resnet20", "vgg13", "vgg8", "MobileNetV2"):
        sizes.append(64)  # Tiny-ImageNet pairs
    if name in ("vgg8", "ShuffleV1", "MobileNetV2"):
        sizes.append(224)  # CUB-200 students
    return sizes


@pytest.mark.parametrize("family,name", [(f, n) for f in sorted(EXPECTED_NAMES) for n in sorted(EXPECTED_NAMES[f])])
def test_forward_at_input_size(family, name):
    torch.manual_seed(0)
    model = build_classifier(name, 7, family).eval()
    for size in _input_sizes(family, name):
        with torch.no_grad():
            out = model(torch.randn(2, 3, size, size))
        assert out.shape == (2, 7), (name, size)
        assert torch.isfinite(out).all()


def test_train_mode_backward_reaches_every_parameter():
    model = build_classifier("ShuffleV2", 5)
    model(torch.randn(2, 3, 32, 32)).logsumexp(1).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", ["resnet32x4", "wrn_40_2", "vgg13", "ResNet50"])
def test_strict_load_of_kd_literature_teacher_file(tmp_path, name):
    """The CIFAR teachers shared with CRD are ``{'model': state_dict}`` files
    (e.g. resnet32x4_vanilla/ckpt_epoch_240.pth, with 'epoch' beside 'model')."""
    torch.manual_seed(1)
    source = build_classifier(name, 100)
    path = tmp_path / f"{name}_vanilla" / "ckpt_epoch_240.pth"
    path.parent.mkdir()
    torch.save({"model": source.state_dict(), "epoch": 240}, path)
    target = build_classifier(name, 100)
    assert load_checkpoint_into(target, path) == ([], [])
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key


def test_strict_load_of_torchvision_state_dict(tmp_path):
    path = tmp_path / "resnet34.pth"
    torch.save(build_classifier("ResNet34", 1000, "imagenet").state_dict(), path)
    load_checkpoint_into(build_classifier("ResNet34", 1000, "imagenet"), path)
    with pytest.raises(CheckpointError, match="unexpected keys"):
        load_checkpoint_into(build_classifier("ResNet18", 1000, "imagenet"), path)


def test_unknown_model_names_fail_with_the_choices():
    with pytest.raises(UnknownModelError, match=r"unknown model name 'resnet33'.*did you mean 'resnet32'"):
        build_classifier("resnet33", 100)
    with pytest.raises(UnknownModelError, match=r"'ResNet18' is a model of family 'imagenet'"):
        build_classifier("ResNet18", 100)
    with pytest.raises(UnknownModelError, match="family must be one of"):
        build_classifier("resnet20", 100, family="mnist")
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        build_classifier("resnet20", 1)


@pytest.mark.parametrize(
    "network, depth, expected",
    [("ResNetCifar", 2, "6n+2 (8, 14, 20, 32"), ("ResNetCifar", 9, "6n+2"), ("WideResNet", 15, "6n+4 (10, 16, 22, 34")],
)
def test_a_depth_without_blocks_is_refused_with_the_depths_that_exist(network, depth, expected):
    from ldrld_cls.models.resnet_cifar import ResNetCifar
    from ldrld_cls.models.wrn import WideResNet

    build = {
        "ResNetCifar": lambda: ResNetCifar(depth, (16, 16, 32, 64), 10),
        "WideResNet": lambda: WideResNet(depth, 1, 10),
    }
    with pytest.raises(ValueError, match=re.escape(expected)):
        build[network]()


def regenerate():
    table = {f"{f}/{n}": _describe(f, n) for f in sorted(EXPECTED_NAMES) for n in sorted(EXPECTED_NAMES[f])}
    os.makedirs(os.path.dirname(SHAPES), exist_ok=True)
    with open(SHAPES, "w") as f:
        f.write("{\n")
        for i, (name, entry) in enumerate(table.items()):
            f.write(
                f'"{name}": {{"num_classes": {entry["num_classes"]}, "parameters": {entry["parameters"]}, '
                f'"state_numel": {entry["state_numel"]}, "keys": {{\n'
            )
            f.write(",\n".join(f'  "{k}": {json.dumps(v)}' for k, v in entry["keys"].items()))
            f.write("\n}}" + (",\n" if i < len(table) - 1 else "\n"))
        f.write("}\n")
    print(f"wrote {SHAPES}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if "--regenerate" in sys.argv:
        regenerate()
