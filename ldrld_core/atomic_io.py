"""Files that are either the old version or the complete new one, never a
partial write: a temporary file in the same folder, flushed to disk, then
renamed over the target with ``os.replace``. Checkpoints of all three tasks
are written this way, so a crash while saving leaves the previous one intact."""

import os
import tempfile


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write) -> str:
    """Call ``write(binary_handle)`` into a temporary file, then move it to ``path``."""
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file open()'s usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(data: bytes, path) -> str:
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_torch_save(obj, path) -> str:
    """``torch.save(obj, path)``, atomically."""
    import torch  # here, so that the writers of plain files start without torch

    return atomic_write(path, lambda handle: torch.save(obj, handle))


def atomic_write_json(obj, path, indent=2, sort_keys=False) -> str:
    """``obj`` as JSON (one trailing newline) at ``path``, atomically: the one way this toolkit
    writes its JSON results."""
    import json

    text = json.dumps(obj, indent=indent, sort_keys=sort_keys) + "\n"
    return atomic_write_bytes(text.encode("utf-8"), path)
