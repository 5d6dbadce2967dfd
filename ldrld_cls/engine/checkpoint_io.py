"""Checkpoint files: atomic writes, weights-only reading of MMEngine's own
checkpoints, and finding the checkpoint to resume from.

MMEngine 0.10.7 writes checkpoints with ``open(path, 'wb')`` (in place; the
checkpoint of an epoch is even rewritten when a new best is found) and reads
them with ``torch.load``, whose ``weights_only=True`` default (torch >= 2.6)
refuses the log buffers and numpy values those checkpoints hold. Importing
this module fixes both: the file backend ``'local_atomic_cls'`` writes through
``ldrld_core``'s atomic writer (a temporary file in the same folder, renamed
over the target), so a crash while saving leaves the previous file intact; and
MMEngine's ``HistoryBuffer`` (with the methods it pickles as
``getattr(HistoryBuffer, name)``) and numpy values are allowed for weights-only
loading through ``ldrld_core.allow_methods_in_weights_only`` -- ``getattr``
itself stays forbidden.
"""
import glob
import os
import re

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ldrld_core import allow_methods_in_weights_only
from ldrld_core.atomic_io import atomic_write_bytes

BACKEND_NAME = "local_atomic_cls"


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put`` and ``put_text``."""

    def put(self, obj, filepath):
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj, filepath, encoding="utf-8"):
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend(BACKEND_NAME, AtomicLocalBackend, force=True)
allow_methods_in_weights_only(HistoryBuffer)


def _epoch_of(path):
    match = re.search(r"epoch_(\d+)\.pth$", os.path.basename(path))
    return int(match.group(1)) if match else -1


def find_resume_checkpoint(work_dir):
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint``
    names if that file exists, else the ``epoch_N.pth`` with the largest N in
    ``work_dir``; ``None`` when there is none."""
    pointer = os.path.join(work_dir, "last_checkpoint")
    if os.path.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and os.path.isfile(named) and os.path.getsize(named) > 0:
            return named
    candidates = [p for p in glob.glob(os.path.join(work_dir, "epoch_*.pth")) if os.path.getsize(p) > 0]
    return max(candidates, key=_epoch_of) if candidates else None
