"""A name registry for classifiers, one table per model family.

The KD literature keeps two tables of names: models for 32x32 CIFAR-style
input (``resnet8x4``, ``wrn_40_2``, ``vgg13``, ``MobileNetV2``, ``ResNet50``
for the bottleneck ResNet-50 adapted to 32x32, ...) and models at ImageNet
scale (``ResNet18``, ``ResNet34``, ``ResNet50``, ``MobileNetV1``). The same name
(``ResNet50``) names a different network in each, so every model here belongs
to a family: ``'cifar'`` (also used for Tiny-ImageNet and CUB-200, as the
papers do) or ``'imagenet'``.
"""

import difflib
import functools

from ..errors import ConfigError, UnknownModelError

FAMILIES = ("cifar", "imagenet")
_REGISTRY = {family: {} for family in FAMILIES}


def register_model(family, name=None):
    """Decorator: ``@register_model('cifar')`` registers a constructor
    ``fn(num_classes) -> nn.Module`` under its function name (or ``name``)."""
    if family not in _REGISTRY:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")

    def wrap(fn):
        key = name or fn.__name__
        if key in _REGISTRY[family]:
            raise ValueError(f"model {key!r} is registered twice in family {family!r}")
        _REGISTRY[family][key] = fn
        return fn

    return wrap


def register_variants(family, build, variants):
    """Register one constructor per entry of ``variants`` (``{name: args}``):
    ``name`` builds ``build(*args, num_classes)``, as a family of depths or
    widths of one network is named in the literature (``resnet8``, ...)."""
    for key, args in variants.items():
        register_model(family, key)(functools.partial(build, *args))


def list_models(family=None):
    """Registered names, of one family or of all (as ``family/name``)."""
    if family is not None:
        _check_family(family)
        return sorted(_REGISTRY[family])
    return [f"{f}/{n}" for f in FAMILIES for n in sorted(_REGISTRY[f])]


def _check_family(family):
    if family not in _REGISTRY:
        raise UnknownModelError(f"model family must be one of {list(FAMILIES)}, got {family!r}")


def build_classifier(arch, num_classes, family="cifar"):
    """Build ``arch`` of ``family`` with a ``num_classes``-way classifier
    (random weights; nothing is downloaded)."""
    _check_family(family)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ConfigError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    table = _REGISTRY[family]
    if arch not in table:
        others = [f for f in FAMILIES if f != family and arch in _REGISTRY[f]]
        if others:
            hint = f"; {arch!r} is a model of family {others[0]!r}: set family={others[0]!r}"
        else:
            close = difflib.get_close_matches(str(arch), list(table), n=3)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(
            f"unknown model name {arch!r} in family {family!r}; expected one of {sorted(table)}{hint}"
        )
    model = table[arch](num_classes)
    model.arch, model.family, model.num_classes = arch, family, num_classes
    return model


def classifier_layer(model):
    """The model's last ``nn.Linear`` (its classifier) and that layer's name."""
    import torch.nn as nn

    found = None
    for module_name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            found = (module_name, module)
    if found is None:
        raise ConfigError(f"{type(model).__name__} has no nn.Linear classifier")
    return found
