"""Checkpoint files for MMEngine runs: atomic writes, and weights-only reading of
the Runner's own checkpoints.

MMEngine 0.10's local backend opens the target and writes into it, so a crash
while a checkpoint is saved leaves a truncated file under the checkpoint's name
(and the checkpoint of an epoch is rewritten in place when a new best is found).
The backend ``'local_atomic'`` writes a temporary file in the same folder and
renames it over the target (``os.replace``): the target is always either the
previous file or the complete new one. Configs select it with
``default_hooks.checkpoint.backend_args = dict(backend='local_atomic')``.

Every MMEngine checkpoint holds the Runner's log buffers (``HistoryBuffer``,
with numpy arrays, and methods pickled as ``getattr(HistoryBuffer, name)``),
which torch's ``weights_only=True`` default refuses: importing this module
allows exactly those (``ldrld_core.allow_methods_in_weights_only``; ``getattr``
itself stays forbidden), for teachers and for MMEngine's ``--resume`` alike.
"""

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ldrld_core.atomic_io import atomic_write_bytes
from ldrld_core.checkpoint import allow_methods_in_weights_only

BACKEND_NAME = "local_atomic"


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = "utf-8") -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend(BACKEND_NAME, AtomicLocalBackend, force=True)
allow_methods_in_weights_only(HistoryBuffer)
