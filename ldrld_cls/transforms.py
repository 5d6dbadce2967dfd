"""CPU-side image pipelines for the folder data sets, given in configs as a
list of torchvision transforms by name, e.g.
``[dict(type='RandomResizedCrop', size=224), dict(type='RandomHorizontalFlip')]``.

A pipeline works on a PIL image and must end at a fixed size; the data set
turns the result into a ``uint8`` tensor (C, H, W). Conversion to float,
normalisation and the CIFAR-style pad-crop-flip run later, batched, on the
training device (``ClsDataPreprocessor``).
"""

from .errors import InputError


def build_pipeline(steps):
    """A callable PIL -> PIL from a list of ``dict(type=<torchvision transform>, **kwargs)``."""
    if steps is None or len(steps) == 0:
        return None
    import torchvision.transforms as T  # here: CIFAR-100 runs never need torchvision

    built = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or "type" not in step:
            raise InputError(f"pipeline[{i}] must be a dict with a 'type' key, got {step!r}")
        kwargs = dict(step)
        name = kwargs.pop("type")
        cls = getattr(T, name, None)
        if not isinstance(cls, type) or name.startswith("_"):
            raise InputError(
                f"pipeline[{i}]: {name!r} is not a torchvision.transforms transform "
                f"(e.g. Resize, RandomResizedCrop, CenterCrop, RandomCrop, RandomHorizontalFlip)"
            )
        if name in ("ToTensor", "PILToTensor", "Normalize", "ConvertImageDtype"):
            raise InputError(
                f"pipeline[{i}]: leave out {name}; images become uint8 tensors after the pipeline "
                f"and are normalised on the device (data_preprocessor mean/std)"
            )
        try:
            built.append(cls(**kwargs))
        except TypeError as err:
            raise InputError(f"pipeline[{i}]: bad arguments for {name}: {err}") from None
    return T.Compose(built)
