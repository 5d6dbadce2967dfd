"""Batch-level data preparation on the training device.

The data sets hand out ``uint8`` images; ``ClsDataPreprocessor`` moves a batch
to the device, scales it to [0, 1], applies (when training) the CIFAR-style
augmentation -- zero padding, a random crop back to the input size and a
random horizontal flip -- and normalises with ``mean``/``std`` (given on the
[0, 1] scale). Doing this per batch on the GPU keeps the data loader cheap.

The random draws come from a generator seeded by (``seed``, step, rank); the
seed and the step count travel in the checkpoint (the module's extra state),
so a resumed run draws exactly what an uninterrupted run would have drawn.
"""

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import get_rank
from mmengine.model import BaseDataPreprocessor
from mmengine.registry import MODELS

from ..errors import InputError


@MODELS.register_module()
class ClsDataPreprocessor(BaseDataPreprocessor):
    def __init__(
        self, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), pad=0, flip=False, channels_last=False, non_blocking=True
    ):
        super().__init__(non_blocking)
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise InputError(
                f"data_preprocessor mean and std must be 3 values (std > 0) on the [0, 1] "
                f"scale, got mean={mean!r}, std={std!r}"
            )
        if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
            raise InputError(f"data_preprocessor pad must be an integer >= 0, got {pad!r}")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.pad, self.flip, self.channels_last = pad, bool(flip), bool(channels_last)
        self.aug_seed = -1  # drawn from the (runner-seeded) global RNG at the first training batch
        self.aug_step = 0

    def get_extra_state(self):
        return torch.tensor([self.aug_seed, self.aug_step], dtype=torch.int64)

    def set_extra_state(self, state):
        self.aug_seed, self.aug_step = (int(v) for v in torch.as_tensor(state).tolist())

    def _generator(self):
        if self.aug_seed < 0:
            self.aug_seed = int(torch.randint(0, 2**62, (1,)).item())
        words = np.random.SeedSequence([self.aug_seed, self.aug_step, get_rank()]).generate_state(2)
        self.aug_step += 1
        return torch.Generator().manual_seed(int(words[0]) << 32 | int(words[1]))

    def augment(self, x, generator):
        n, _, h, w = x.shape
        if self.pad:
            p = self.pad
            padded = F.pad(x, (p, p, p, p))
            offsets = torch.randint(0, 2 * p + 1, (n, 2), generator=generator).to(x.device, non_blocking=True)
            rows = offsets[:, 0, None] + torch.arange(h, device=x.device)
            cols = offsets[:, 1, None] + torch.arange(w, device=x.device)
            batch = torch.arange(n, device=x.device)[:, None, None]
            x = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        if self.flip:
            flip = (torch.rand(n, generator=generator) < 0.5).to(x.device, non_blocking=True)
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
        return x.contiguous()

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs, labels = data["inputs"], data.get("data_samples")
        if isinstance(inputs, (list, tuple)):  # pseudo_collate hands out lists
            inputs = torch.stack(list(inputs))
        if labels is not None and not isinstance(labels, torch.Tensor):
            labels = torch.as_tensor(labels, dtype=torch.long, device=inputs.device)
        x = inputs.float().div_(255.0) if inputs.dtype == torch.uint8 else inputs.float()
        if training and (self.pad or self.flip):
            x = self.augment(x, self._generator())
        x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return {"inputs": x, "data_samples": labels}
