"""Hooks: the class-count check, the accuracy report (best and last top-1)
and Table 16's efficiency report (seconds per epoch, peak memory)."""

import os
import resource
import statistics
import time

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ldrld_core.atomic_io import atomic_write_json

from ..errors import ClassCountError


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _write_json(runner, name, payload):
    if is_main_process():
        atomic_write_json(payload, os.path.join(runner.work_dir, name))


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Stop before the first iteration when the data set's class count differs
    from the model's ``num_classes``."""

    priority = "VERY_HIGH"

    def _check(self, runner, loader, which):
        dataset = getattr(loader, "dataset", None)
        found = getattr(dataset, "num_classes", None)
        expected = getattr(_unwrap(runner.model), "num_classes", None)
        if found is not None and expected is not None and found != expected:
            where = getattr(dataset, "root", "?")
            raise ClassCountError(
                f"the {which} data set {type(dataset).__name__} at {where} has {found} classes, but the model "
                f"is built for {expected} (model.num_classes); use the data set the config was written for, "
                f"or a config for {found} classes"
            )

    def before_train(self, runner):
        self._check(runner, runner.train_dataloader, "training")

    def before_val(self, runner):
        self._check(runner, runner.val_loop.dataloader, "validation")


@HOOKS.register_module()
class AccuracyReportHook(Hook):
    """Log top-1/top-5 after every validation with the best top-1 so far, and
    at the end of training the last and the best; also ``accuracy.json`` in
    the work dir. The best survives ``--resume`` (kept in the message hub)."""

    priority = "LOW"

    def __init__(self, key="accuracy/top1", second="accuracy/top5"):
        self.key, self.second = key, second
        self.last = None

    def after_val_epoch(self, runner, metrics=None):
        if not metrics or self.key not in metrics:
            return
        hub = runner.message_hub
        epoch = runner.epoch
        best = hub.get_info("cls_best_top1")
        if best is None or metrics[self.key] > best:
            hub.update_info("cls_best_top1", float(metrics[self.key]))
            hub.update_info("cls_best_epoch", epoch)
        self.last = dict(epoch=epoch, top1=float(metrics[self.key]), top5=float(metrics.get(self.second, float("nan"))))
        runner.logger.info(
            f"epoch {epoch}: top-1 {self.last['top1']:.2f}, top-5 {self.last['top5']:.2f} "
            f"(best top-1 {hub.get_info('cls_best_top1'):.2f} at epoch {hub.get_info('cls_best_epoch')})"
        )

    def after_train(self, runner):
        hub = runner.message_hub
        if self.last is None:
            return
        report = dict(
            last=self.last, best=dict(top1=hub.get_info("cls_best_top1"), epoch=hub.get_info("cls_best_epoch"))
        )
        runner.logger.info(
            f"accuracy report: last top-1 {self.last['top1']:.2f} / top-5 {self.last['top5']:.2f} "
            f"(epoch {self.last['epoch']}); best top-1 {report['best']['top1']:.2f} "
            f"(epoch {report['best']['epoch']})"
        )
        _write_json(runner, "accuracy.json", report)


@HOOKS.register_module()
class EfficiencyReportHook(Hook):
    """Table 16's training cost: wall-clock seconds per training epoch (data
    loading included, validation excluded) and peak memory (CUDA: allocated
    and reserved by PyTorch; CPU: the process's peak resident set). Printed
    at the end of training and written to ``efficiency.json``."""

    priority = "VERY_LOW"

    def __init__(self):
        self.epoch_seconds = []
        self._start = None

    @staticmethod
    def _sync(runner):
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()

    def before_train(self, runner):
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.reset_peak_memory_stats()

    def before_train_epoch(self, runner):
        self._sync(runner)
        self._start = time.perf_counter()

    def after_train_epoch(self, runner):
        self._sync(runner)
        if self._start is not None:
            self.epoch_seconds.append(time.perf_counter() - self._start)

    def memory(self):
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            return dict(
                device=torch.cuda.get_device_name(),
                kind="cuda",
                peak_allocated_mib=torch.cuda.max_memory_allocated() / 2**20,
                peak_reserved_mib=torch.cuda.max_memory_reserved() / 2**20,
            )
        return dict(device="cpu", kind="cpu", peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    def report(self):
        times = self.epoch_seconds
        steady = times[1:] if len(times) > 1 else times
        return dict(
            epochs=len(times),
            seconds_per_epoch=statistics.fmean(steady) if steady else None,
            first_epoch_seconds=times[0] if times else None,
            all_epoch_seconds=times,
            **self.memory(),
        )

    def after_train(self, runner):
        report = self.report()
        if report["epochs"] == 0:
            return
        if report["kind"] == "cuda":
            memory = (
                f"peak GPU memory {report['peak_allocated_mib']:.0f} MiB allocated, "
                f"{report['peak_reserved_mib']:.0f} MiB reserved ({report['device']})"
            )
        else:
            memory = f"peak memory (CPU process, resident) {report['peak_rss_mib']:.0f} MiB"
        runner.logger.info(
            f"efficiency report (Table 16): {report['seconds_per_epoch']:.2f} s per training epoch "
            f"(data loading included; mean over {max(report['epochs'] - 1, 1)} epoch(s)"
            f"{', the first excluded' if report['epochs'] > 1 else ''}; first epoch "
            f"{report['first_epoch_seconds']:.2f} s); {memory}"
        )
        _write_json(runner, "efficiency.json", report)
