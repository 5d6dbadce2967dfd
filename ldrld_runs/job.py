"""What one submitit job of a sweep runs: a tool's command, its output appended to the run's
log, ``running.json`` while it runs and ``done.json`` when it exited 0. Standard library
only, so that a job starts in milliseconds (the tool itself imports torch)."""

import json
import os
import socket
import subprocess
import time


def write_marker(path, record) -> None:
    """A small JSON file, written whole or not at all (a temporary file renamed over it)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, path)


def run_job(command, work_dir, log, env=None):
    os.makedirs(work_dir, exist_ok=True)
    marker = os.path.join(work_dir, "running.json")
    write_marker(marker, {"pid": os.getpid(), "host": socket.gethostname()})
    began = time.time()
    try:
        with open(log, "ab") as out:
            out.write(f"$ {' '.join(command)}\n".encode())
            out.flush()
            status = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
    finally:
        if os.path.exists(marker):
            os.remove(marker)
    if status != 0:
        raise RuntimeError(f"exit status {status}; log: {log}")
    write_marker(os.path.join(work_dir, "done.json"), {"seconds": time.time() - began})
    return 0
