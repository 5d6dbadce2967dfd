"""An MMEngine file backend whose writes are atomic.

MMEngine's local backend opens the target and writes into it, so a crash while
a checkpoint is saved leaves a truncated file under the checkpoint's name. This
backend writes a temporary file in the same folder and renames it over the
target (``os.replace``), so the target is always either the previous file or the
complete new one. Configs select it for checkpoints with
``default_hooks.checkpoint.backend_args = dict(backend='local_atomic')``.
"""
from mmengine.fileio import LocalBackend, register_backend

from ldrld_core.atomic_io import atomic_write_bytes


class AtomicLocalBackend(LocalBackend):
    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = "utf-8") -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend("local_atomic", AtomicLocalBackend, force=True)
