"""The opt-in fast path of a classification run: ``tools/train_cls.py CONFIG --fast`` (or
``fast = True`` in a config).

Four pieces, each applied where it can be and otherwise reported as off, with the reason, in
the run's log (one ``fast:`` line per piece) -- never a silent change of recipe:

1. **data on the device**: a data set held in memory as ``uint8`` tensors (CIFAR-100: 150 MB)
   is copied to the training device once (``OnDevice``); each batch is one index into it
   (``__getitems__``), so the loader has no workers, no collation and no host-to-device copy.
   MMEngine's sampler still draws the order, so seeds, shuffling and resuming are unchanged.
   Image-folder data sets (ImageNet, Tiny-ImageNet, CUB-200) stay on the host.
2. **channels_last**: student, teacher and inputs in ``torch.channels_last``.
3. **bfloat16 autocast**: MMEngine's ``AmpOptimWrapper(dtype='bfloat16')`` on a GPU,
   ``CPUBF16OptimWrapper`` on a CPU (``ldrld_mm.amp``); the losses compute in float32 whatever
   the autocast (``ldrld_core``).
4. **the step compiled**: ``train_step`` (augmentation, teacher forward, student forward and
   backward, optimizer) under ``torch.compile(mode='reduce-overhead')``, which captures the
   compiled regions in CUDA graphs; on a GPU only, and with the eager fallback of
   ``ldrld_core.compiled`` when compilation fails.

The augmentation (pad, crop, flip) already runs per batch on the device
(``ClsDataPreprocessor``), and the losses do no host reads but every ``check_every`` calls
(``ldrld_core.validation``), so nothing in the step waits for the host.
"""

import torch
from mmengine.hooks import Hook
from mmengine.registry import DATASETS, FUNCTIONS, HOOKS
from torch.utils.data import Dataset

from ldrld_core.compiled import compiled

from ..errors import DatasetError

IN_MEMORY = ("CIFAR100",)  # data sets that hold every image as one uint8 tensor (``images``)
LOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")


def _device():
    from mmengine.device import get_device

    return torch.device(get_device())


@DATASETS.register_module()
class OnDevice(Dataset):
    """``dataset`` (a config or a data set with ``images``: uint8 N x 3 x H x W, and ``labels``)
    held whole on ``device`` (default: the training device); ``__getitems__`` hands out a whole
    batch, ``batch_as_is`` passes it on."""

    def __init__(self, dataset, device=None):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        images = getattr(self.dataset, "images", None)
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4:
            raise DatasetError(
                f"OnDevice: {type(self.dataset).__name__} does not hold its images as one uint8 "
                f"N x C x H x W tensor (`images`); only in-memory data sets ({', '.join(IN_MEMORY)}) "
                f"go on the device"
            )
        if getattr(self.dataset, "pipeline", None) is not None:
            raise DatasetError(
                f"OnDevice: {type(self.dataset).__name__} has a per-image pipeline, which runs on "
                f"the host; drop it (the augmentation runs on the device in ClsDataPreprocessor)"
            )
        self.device = torch.device(device) if device is not None else _device()
        self.images = images.to(self.device)
        self.labels = torch.as_tensor(self.dataset.labels, dtype=torch.long).to(self.device)

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):
        return {"inputs": self.images[index], "data_samples": self.labels[index]}

    def __getitems__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long).to(self.device, non_blocking=True)
        return {"inputs": self.images.index_select(0, index), "data_samples": self.labels.index_select(0, index)}

    # what the hooks and metrics read from a data set
    num_classes = property(lambda self: self.dataset.num_classes)
    classes = property(lambda self: self.dataset.classes)
    metainfo = property(lambda self: self.dataset.metainfo)
    root = property(lambda self: getattr(self.dataset, "root", None))


@FUNCTIONS.register_module()
def batch_as_is(batch):
    """The collate function of ``OnDevice``: its batch is already one tensor per field."""
    return batch


def on_device_loader(loader: dict) -> dict:
    """A loader config with its data set on the device (``loader`` is left as it was)."""
    out = dict(loader)
    out.update(
        dataset=dict(type="OnDevice", dataset=loader["dataset"]),
        num_workers=0,
        persistent_workers=False,
        pin_memory=False,
        collate_fn=dict(type="batch_as_is"),
    )
    return out


@HOOKS.register_module()
class FastPathHook(Hook):
    """Logs what the fast path turned on and off; with ``compile_mode``, compiles ``train_step``."""

    priority = "VERY_LOW"

    def __init__(self, report=(), compile_mode=None):
        self.report, self.compile_mode = list(report), compile_mode

    def before_train(self, runner):
        for line in self.report:
            runner.logger.info(f"fast: {line}")
        if self.compile_mode:
            model = runner.model
            model.train_step = compiled(model.train_step, mode=self.compile_mode)


def apply_fast(cfg, cuda=None) -> list:
    """Turn ``cfg`` into its fast path (see the module's docstring); returns the report lines."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    report = []
    device = "the GPU" if cuda else "the CPU"
    for name in LOADERS:
        loader = cfg.get(name)
        if not loader or not isinstance(loader.get("dataset"), dict):
            continue
        kind = loader["dataset"].get("type")
        if kind in IN_MEMORY and loader["dataset"].get("pipeline") is None:
            cfg[name] = on_device_loader(loader)
            report.append(f"{name}: the {kind} data set on {device} (no loader workers, no copies per batch)")
        else:
            report.append(
                f"{name}: the {kind} data set stays on the host (only in-memory data sets, "
                f"{', '.join(IN_MEMORY)}, without a per-image pipeline, go on the device)"
            )
    cfg.model["channels_last"] = True
    preprocessor = cfg.model.get("data_preprocessor") or dict(type="ClsDataPreprocessor")  # ClsDistiller's default
    cfg.model["data_preprocessor"] = dict(preprocessor, channels_last=True)
    report.append("channels_last: student, teacher and inputs")
    if cuda and torch.cuda.is_bf16_supported():
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper["dtype"] = "bfloat16"
        report.append("bfloat16 autocast: AmpOptimWrapper(dtype='bfloat16')")
    elif cuda:
        report.append("bfloat16 autocast: off (this GPU has no bfloat16)")
    else:
        cfg.optim_wrapper.type = "CPUBF16OptimWrapper"
        report.append("bfloat16 autocast: CPUBF16OptimWrapper")
    mode = None
    if cuda:
        mode = "reduce-overhead"
        report.append(
            "train_step: torch.compile(mode='reduce-overhead') (CUDA graphs; the losses' value checks "
            "off inside it; eager if it fails)"
        )
    else:
        report.append("train_step: not compiled (CUDA graphs need a GPU)")
    cfg.setdefault("custom_hooks", [])
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type="FastPathHook", report=report, compile_mode=mode)]
    return report
