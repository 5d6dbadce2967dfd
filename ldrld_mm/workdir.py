"""A run's work dir: checked before anything is written, and left as it was when the
run fails before its first training iteration.

MMEngine's Runner creates the work dir, a timestamped log folder and a copy of
the config as soon as it is built, before the data sets, the teacher checkpoint
or a resumed checkpoint are read. :class:`WorkDirGuard` records what the work
dir held; if the run ends with an error before its first iteration, what the
run added is removed and a config copy it overwrote is restored, so a failed
start never changes a work dir (its checkpoints included).
"""

import os
import shutil
import tempfile

from ldrld_core.errors import InputError


def check_writable(path, option="--work-dir") -> str:
    """``path`` as an absolute path, after checking that it can be created and written."""
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise InputError(
            f"{option} {path}: {probe} is a file, not a folder; expected a folder (or a path that "
            f"can be created) to hold the run's logs and checkpoints"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".ldrld-write-test-", dir=probe))
    except OSError as err:
        raise InputError(
            f"{option} {path}: cannot write in {probe} ({err.strerror}); expected a folder you can write to"
        ) from None
    return path


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


class WorkDirGuard:
    """``with WorkDirGuard(work_dir) as guard: ...``; set ``guard.started = True`` once
    training has begun (from then on nothing is undone)."""

    SAVED_SUFFIXES = (".py", ".json", ".yaml")  # config copies MMEngine may rewrite at start (small files)

    def __init__(self, work_dir):
        self.work_dir = os.path.abspath(work_dir)
        self.started = False
        self.existed = os.path.isdir(self.work_dir)
        self.entries = set(os.listdir(self.work_dir)) if self.existed else set()
        self.saved = {}
        for name in self.entries:
            path = os.path.join(self.work_dir, name)
            if name.endswith(self.SAVED_SUFFIXES) and os.path.isfile(path):
                with open(path, "rb") as f:
                    stat = os.stat(path)
                    self.saved[name] = (f.read(), (stat.st_atime_ns, stat.st_mtime_ns))

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if kind is not None and not self.started and _is_main_process():
            self.undo()
        return False

    def undo(self) -> None:
        if not os.path.isdir(self.work_dir):
            return
        if not self.existed:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            return
        for name in set(os.listdir(self.work_dir)) - self.entries:
            path = os.path.join(self.work_dir, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
        for name, (data, times) in self.saved.items():
            path = os.path.join(self.work_dir, name)
            if _read(path) != data:
                with open(path, "wb") as f:
                    f.write(data)
            os.utime(path, ns=times)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
