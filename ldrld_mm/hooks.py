"""Hooks the command-line core adds to every run it starts."""

from mmengine.hooks import Hook

from ldrld_core.errors import DatasetError


class RunStartHook(Hook):
    """Before the first iteration: refuse a training set smaller than one batch;
    at the first iteration: tell the work-dir guard that training has begun."""

    priority = "VERY_HIGH"

    def __init__(self, guard=None):
        self.guard = guard

    def before_train(self, runner):
        loader = runner.train_dataloader
        dataset = getattr(loader, "dataset", None)
        sampler = getattr(loader, "batch_sampler", None)
        batch = getattr(loader, "batch_size", None) or getattr(sampler, "batch_size", None)
        if dataset is not None and batch and len(dataset) < batch:
            where = getattr(dataset, "data_root", None) or getattr(dataset, "root", None) or type(dataset).__name__
            raise DatasetError(
                f"the training set at {where} holds {len(dataset)} usable image(s), fewer than one batch of "
                f"{batch} (train_dataloader.batch_size); add images or lower the batch size with "
                f"--cfg-options train_dataloader.batch_size=N"
            )

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.guard is not None:
            self.guard.started = True
