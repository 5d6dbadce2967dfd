"""Checkpoint files: atomic writes, weights-only reading of MMEngine's own
checkpoints, and finding the checkpoint to resume from.

MMEngine 0.10.7 writes checkpoints with ``open(path, 'wb')`` (in place; the
checkpoint of an epoch is even rewritten when a new best is found) and reads
them with ``torch.load``, whose ``weights_only=True`` default (torch >= 2.6)
refuses the log buffers, numpy values and ``Counter`` (MultiStepLR's
milestones) that those checkpoints hold. Importing this module fixes both:
the file backend ``'local_atomic_cls'`` writes to a temporary file in the same
folder and renames it over the target (``os.replace``), so a crash while
saving leaves the previous file intact; and the types MMEngine writes are
allowed for weights-only loading. ``HistoryBuffer`` pickles its statistics
methods as ``getattr(HistoryBuffer, 'mean')``; rather than allowing
``getattr`` itself (which would open weights-only loading to arbitrary
attribute chains), ``builtins.getattr`` is mapped to a stand-in that resolves
exactly those methods and refuses everything else.
"""
import glob
import os
import pickle
import re
import tempfile

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ldrld_core import allow_in_weights_only

BACKEND_NAME = "local_atomic_cls"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(data, path):
    """Write ``data`` to ``path`` so that ``path`` holds either the old or the
    complete new content, never a partial file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put`` and ``put_text``."""

    def put(self, obj, filepath):
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj, filepath, encoding="utf-8"):
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend(BACKEND_NAME, AtomicLocalBackend, force=True)

_HISTORY_METHODS = frozenset(name for name in dir(HistoryBuffer)
                             if not name.startswith("_") and callable(getattr(HistoryBuffer, name)))


def history_buffer_getattr(obj, name):
    """``getattr`` as weights-only unpickling may use it: only HistoryBuffer's
    public methods (its pickled statistics methods) resolve."""
    if obj is HistoryBuffer and name in _HISTORY_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f"weights-only loading resolves getattr only for MMEngine's HistoryBuffer methods, "
        f"not {getattr(obj, '__name__', type(obj).__name__)}.{name}")


def allow_mmengine_checkpoints():
    """Allow what MMEngine's Runner writes into its checkpoints besides tensors,
    plain data, Counter and OrderedDict (which torch allows already): numpy
    values and log buffers. Called on import, and again after a teacher is
    loaded, because ``ldrld_core.read_checkpoint`` allows numpy types inside a
    ``torch.serialization.safe_globals`` block, whose exit removes them from
    the process-wide list as well."""
    allow_in_weights_only(HistoryBuffer, (history_buffer_getattr, "builtins.getattr"))


allow_mmengine_checkpoints()


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
