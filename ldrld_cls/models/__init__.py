"""Classifier zoo under the KD literature's names, in two families
(``'cifar'``: 32x32-style networks, also used on Tiny-ImageNet and CUB-200;
``'imagenet'``: torchvision ResNets and MobileNetV1). One file per family of
architectures; each registers its constructors on import."""

from . import imagenet, mobilenetv2, resnet_cifar, resnet_cifar_bottleneck, shufflenetv1, shufflenetv2, vgg, wrn  # noqa: F401
from .registry import FAMILIES, build_classifier, classifier_layer, list_models, register_model

__all__ = ["FAMILIES", "build_classifier", "classifier_layer", "list_models", "register_model"]
