"""What one submitit job of a sweep runs: a tool's command, its output appended to the run's
log, ``running.json`` while it runs and ``done.json`` when it exited 0. Standard library
only, so that a job starts in milliseconds (the tool itself imports torch).

``RunJob`` is what the executors submit. It decides at its start whether the run resumes (the
tool's ``--resume`` when an earlier attempt left a checkpoint), so a job that Slurm requeues
continues from the last checkpoint; it has submitit's ``checkpoint`` method, so submitit
requeues it when Slurm signals a time limit or a pre-emption (``--signal USR2@90``). In a job of
several Slurm tasks (one rank each, ``--launcher slurm``) rank 0 keeps the markers and the run's
log; every other rank writes ``sweep.rank<k>.log``."""

import glob
import json
import os
import signal
import socket
import subprocess
import time

SIGNAL_GRACE_S = 30  # after the tool died of Slurm's TERM/USR2: how long to wait for submitit's requeue


def write_marker(path, record) -> None:
    """A small JSON file, written whole or not at all (a temporary file renamed over it)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, path)


def slurm_job_id(environ=os.environ):
    """submitit's id of the Slurm job this process runs in (``123`` or ``123_4`` in an array), or None."""
    if "SLURM_ARRAY_JOB_ID" in environ and "SLURM_ARRAY_TASK_ID" in environ:
        return f"{environ['SLURM_ARRAY_JOB_ID']}_{environ['SLURM_ARRAY_TASK_ID']}"
    return environ.get("SLURM_JOB_ID")


def _step(path):
    stem = os.path.basename(path).rsplit(".", 1)[0]
    return int(stem.rsplit("_", 1)[-1]) if stem.rsplit("_", 1)[-1].isdigit() else -1


def mmengine_resume(work_dir) -> list:
    """The resume arguments for an MMEngine run in ``work_dir``: ``--resume`` (MMEngine's latest, named by
    ``last_checkpoint``), ``--resume PATH`` when ``last_checkpoint`` names a file that is gone, or none.
    MMEngine's CheckpointHook deletes the checkpoint beyond ``max_keep_ckpts`` before it rewrites
    ``last_checkpoint``: a run killed in between names a deleted file, and the newest one left is the one."""
    try:
        with open(os.path.join(work_dir, "last_checkpoint")) as f:
            named = f.read().strip()
    except OSError:
        return []
    if named and os.path.isfile(named if os.path.isabs(named) else os.path.join(work_dir, named)):
        return ["--resume"]
    left = glob.glob(os.path.join(work_dir, "epoch_*.pth")) + glob.glob(os.path.join(work_dir, "iter_*.pth"))
    return ["--resume", max(left, key=_step)] if left else []


class RunJob:
    """One run of a sweep as a submitit job (picklable; submitit calls it, and on Slurm's USR2
    calls ``checkpoint`` and requeues the job)."""

    def __init__(self, command, work_dir, log, env=None):
        self.command, self.work_dir, self.log, self.env = list(command), work_dir, log, dict(env or {})

    def checkpoint(self, *args, **kwargs):
        """submitit's hook before a requeue: the same job again; it resumes from the tool's last
        checkpoint when it starts."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, *args, **kwargs)

    def __call__(self):
        rank = int(os.environ.get("SLURM_PROCID", "0")) if int(os.environ.get("SLURM_NTASKS", "1")) > 1 else 0
        command = self.command + mmengine_resume(self.work_dir)  # every tool names its latest in last_checkpoint
        return run_job(command, self.work_dir, self.log, self.env, rank=rank)


def run_job(command, work_dir, log, env=None, rank=0):
    os.makedirs(work_dir, exist_ok=True)
    marker = os.path.join(work_dir, "running.json")
    if rank:
        log = os.path.join(work_dir, f"sweep.rank{rank}.log")
    else:
        write_marker(marker, {"pid": os.getpid(), "host": socket.gethostname(), "job_id": slurm_job_id()})
    began = time.time()
    try:
        with open(log, "ab") as out:
            out.write(f"$ {' '.join(command)}\n".encode())
            out.flush()
            status = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
        if status in (-signal.SIGTERM, -signal.SIGUSR2) and os.environ.get("SUBMITIT_EXECUTOR") == "slurm":
            # Slurm signals every process of the job: the tool died of the TERM or USR2 that precedes a
            # pre-emption or a time limit. submitit's handler in this process requeues the job on USR2
            # (it exits from within this sleep); a plain scancel ends the job before the sleep does.
            time.sleep(SIGNAL_GRACE_S)
    finally:
        if not rank and os.path.exists(marker):
            os.remove(marker)
    if status != 0:
        raise RuntimeError(f"exit status {status}; log: {log}")
    if not rank:
        write_marker(os.path.join(work_dir, "done.json"), {"seconds": time.time() - began})
    return 0


def run_job_of(run, env=None):
    """The submitit job of one run: its command in its work dir, resumed from its checkpoint."""
    return RunJob(run.command, run.work_dir, run.log, env)
