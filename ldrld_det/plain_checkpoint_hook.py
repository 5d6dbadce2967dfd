"""Checkpoints that ``torch.load(weights_only=True)`` can read.

MMEngine stores its log buffers (``HistoryBuffer`` objects, which pickle numpy
arrays and bound methods through ``getattr``) in every checkpoint. Since torch
2.6 loads with ``weights_only=True``, those checkpoints then need full
unpickling: MMEngine's own ``--resume`` fails, and a teacher trained here could
only be loaded by trusting the file. This hook stores each buffer as plain
tensors when a checkpoint is saved and rebuilds it when one is loaded, so
resuming and teacher loading stay on the safe path.
"""
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.registry import HOOKS

MARK = "__history_buffer__"


def _plain(buffer: HistoryBuffer) -> dict:
    log, count = buffer.data
    return {MARK: True, "log": torch.as_tensor(log), "count": torch.as_tensor(count),
            "max_length": int(buffer.max_length)}


def _buffer(plain: dict) -> HistoryBuffer:
    return HistoryBuffer(plain["log"].tolist(), plain["count"].tolist(), plain["max_length"])


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    priority = "VERY_LOW"

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get("message_hub", {}).get("log_scalars", {})
        for name, value in scalars.items():
            if isinstance(value, HistoryBuffer):
                scalars[name] = _plain(value)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get("message_hub", {}).get("log_scalars", {})
        for name, value in scalars.items():
            if isinstance(value, dict) and value.get(MARK):
                scalars[name] = _buffer(value)
