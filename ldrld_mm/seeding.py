"""``EpochSeedHook``: a training epoch's random draws from the run's seed and the epoch alone.

MMEngine seeds Python's, NumPy's and torch's global generators once, when the Runner is built, and
does not save their states in a checkpoint. A detection run resumed from an epoch's checkpoint
therefore draws other augmentations (MMDetection's ``RandomFlip``, in the main process) and other
RoI samples (``RandomSampler``: ``torch.randperm``) than the run that was never stopped. With this
hook the three generators are seeded again before every training epoch, from the run's seed
(``randomness.seed``, as the Runner applied it) and the epoch, so the resumed run goes on exactly as
the uninterrupted one (``tests/test_resume_killed.py``). Opt in from a config::

    custom_hooks = [dict(type='EpochSeedHook')]

Exact where the data are loaded in the main process (``num_workers=0``) or by loader processes
made anew each epoch (``persistent_workers=False``: MMEngine seeds each from the run's seed); a
persistent loader process keeps the state its first epoch left it in. A run without
``randomness.seed`` works too: MMEngine draws its seed, writes it in every checkpoint and takes it
back on ``--resume``.
"""

import numpy as np
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner.utils import set_random_seed


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Before each training epoch: ``random``, ``numpy.random`` and torch's generators seeded from
    ``(runner.seed, runner.epoch)``."""

    priority = "VERY_HIGH"

    def before_train_epoch(self, runner):
        seed = int(np.random.SeedSequence([int(runner.seed), int(runner.epoch)]).generate_state(1)[0])
        set_random_seed(seed)  # MMEngine's own: random, numpy.random, torch (CUDA too)
