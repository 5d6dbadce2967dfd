"""Running a sweep's runs through submitit: its local executor on one machine (one run
per free GPU, or ``--max-parallel`` CPU runs), its Slurm executor on a cluster.

A run is one job: the tool's command, its output in the run's ``sweep.log``,
``done.json`` written when it exits 0. Re-invoking the same sweep skips runs
with ``done.json``, resumes runs that left a checkpoint (the tool's own
``--resume``) and starts the rest; a run that fails is reported with its log
and does not stop the others.
"""

import glob
import json
import os
import socket
import time

from ldrld_core.errors import InputError

from .job import run_job

POLL_S = 0.5
LOCAL_TIMEOUT_MIN = 60 * 24 * 30  # submitit's local executor kills a job after 2 minutes unless told otherwise


def has_checkpoint(run) -> bool:
    if run.task == "reid":
        return bool(glob.glob(os.path.join(run.work_dir, "*", "model", "model.pth.tar-*")))
    return os.path.isfile(os.path.join(run.work_dir, "last_checkpoint"))


def running_elsewhere(run) -> bool:
    """True when a job of an earlier invocation still runs this run on this machine."""
    try:
        with open(os.path.join(run.work_dir, "running.json")) as f:
            info = json.load(f)
        if info.get("host") != socket.gethostname():
            return False
        os.kill(int(info["pid"]), 0)
        return True
    except (OSError, ValueError, KeyError):
        return False


def launch_command(run) -> list:
    """The run's command, with ``--resume`` when an earlier attempt left a checkpoint."""
    resumable = run.task != "reid" or "--mode" in run.command  # a full Re-ID pipeline resumes by itself
    return run.command + ["--resume"] if has_checkpoint(run) and resumable else list(run.command)


def physical_gpus(ids) -> tuple:
    """The GPU numbers to hand a child for torch's device indices ``ids`` of this process:
    under ``CUDA_VISIBLE_DEVICES=2,3`` torch's device 0 is GPU 2 (submitit sets the child's
    ``CUDA_VISIBLE_DEVICES`` to the numbers it is given)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if not visible:
        return tuple(ids)
    entries = [e.strip() for e in visible.split(",") if e.strip()]
    try:
        return tuple(int(entries[k]) for k in ids)
    except (ValueError, IndexError):
        raise InputError(
            f"CUDA_VISIBLE_DEVICES={visible}: expected GPU numbers separated by commas (e.g. 2,3), "
            f"which runs on GPUs {list(ids)} can be given"
        ) from None


def make_executor(kind, folder, gpus_per_run=0, threads=None, slurm=None):
    import submitit

    if kind == "local":
        executor = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(timeout_min=LOCAL_TIMEOUT_MIN, gpus_per_node=gpus_per_run)
    else:
        executor = submitit.SlurmExecutor(folder=folder)
        params = dict(job_name="ldrld_sweep", **{k: v for k, v in (slurm or {}).items() if v is not None})
        if gpus_per_run:
            params["gpus_per_node"] = gpus_per_run
        if threads:
            params.setdefault("cpus_per_task", threads)
        executor.update_parameters(**params)
    return executor


def _clock(seconds) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total, print_fn=print):
        self.total, self.done, self.began, self.print = total, 0, time.time(), print_fn

    def finished(self, run, ok, detail=""):
        self.done += 1
        elapsed = time.time() - self.began
        eta = elapsed / self.done * (self.total - self.done)
        state = "done  " if ok else "FAILED"
        self.print(
            f"[{self.done}/{self.total}] {state} {run.name}{detail}; elapsed {_clock(elapsed)}, ETA {_clock(eta)}",
            flush=True,
        )


def execute(
    runs,
    executor_kind="local",
    folder=None,
    max_parallel=1,
    gpus_per_run=0,
    gpus=(),
    threads=None,
    slurm=None,
    print_fn=print,
):
    """Run every run not done yet; returns ``(finished, failed, skipped)`` lists of runs."""
    todo, skipped = [], []
    for run in runs:
        if os.path.isfile(run.done_file):
            skipped.append(run)
        elif running_elsewhere(run):
            print_fn(f"skip {run.name}: still running from an earlier invocation", flush=True)
            skipped.append(run)
        else:
            todo.append(run)
    if skipped:
        print_fn(f"{len(skipped)} of {len(runs)} run(s) already done or running; {len(todo)} to go", flush=True)
    env = {"OMP_NUM_THREADS": str(threads)} if threads else {}
    executor = make_executor(executor_kind, folder, gpus_per_run, threads, slurm)
    progress = Progress(len(todo), print_fn)
    finished, failed = [], []

    def submit(run, gpu_ids=()):
        if executor_kind == "local" and gpus_per_run:
            executor.update_parameters(visible_gpus=physical_gpus(gpu_ids))
        return executor.submit(run_job, launch_command(run), run.work_dir, run.log, env)

    def collect(run, job):
        try:
            job.result()
        except Exception as err:  # noqa: BLE001  (a failed run is reported and the others go on)
            failed.append(run)
            progress.finished(
                run, False, f" ({failure_reason(err, run.log)}; log: {run.log}; submitit: {job.paths.stdout})"
            )
            return False
        finished.append(run)
        progress.finished(run, True)
        return True

    if executor_kind == "slurm":  # Slurm schedules the array itself, at most max_parallel at once
        pending = list(zip(todo, submit_array(executor, todo, max_parallel, env)))
        while pending:
            for item in [p for p in pending if p[1].done()]:
                pending.remove(item)
                collect(*item)
            if pending:
                time.sleep(POLL_S * 5)
        return finished, failed, skipped

    slots = (
        [tuple(gpus[k * gpus_per_run : (k + 1) * gpus_per_run]) for k in range(max_parallel)]
        if gpus_per_run
        else [()] * max_parallel
    )
    queue, active = list(todo), {}  # slot index -> (run, job)
    by_name = {run.name: run for run in runs}

    def is_done(name):  # finished here, or by the invocation that is still running it (its done.json)
        return name in done or (name in by_name and os.path.isfile(by_name[name].done_file))

    def still_elsewhere(names):
        return any(n in by_name and not is_done(n) and running_elsewhere(by_name[n]) for n in names)

    done = set()
    while queue or active:
        for slot in [s for s in range(len(slots)) if s not in active]:
            ready = [r for r in queue if all(is_done(n) for n in r.after)]
            if ready:  # the first queued run whose prerequisites are done
                queue.remove(ready[0])
                active[slot] = (ready[0], submit(ready[0], slots[slot]))
        if not active and queue and not any(still_elsewhere(r.after) for r in queue):
            for run in queue:  # what is left waits for runs that failed
                failed.append(run)
                progress.finished(run, False, f" (not started: it needs {', '.join(run.after)}, which failed)")
            break
        for slot, (run, job) in list(active.items()):
            if job.done():
                del active[slot]
                if collect(run, job):
                    done.add(run.name)
        if active or queue:
            time.sleep(POLL_S)
    return finished, failed, skipped


def submit_array(executor, runs, max_parallel, env=None) -> list:
    """Submit ``runs`` as one Slurm job array (at most ``max_parallel`` running); the jobs."""
    executor.update_parameters(array_parallelism=max_parallel)
    with executor.batch():
        jobs = [executor.submit(run_job, launch_command(run), run.work_dir, run.log, env) for run in runs]
    return jobs


def failure_reason(err, log) -> str:
    """Why a run failed, in one line: the tool's own ``error:`` or ``failed:`` line from this
    attempt's part of its log, else the exit status the job reported (submitit's exception ends
    with paths, not the reason)."""
    try:
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    starts = [k for k, line in enumerate(lines) if line.startswith("$ ")]
    lines = lines[starts[-1] + 1 :] if starts else lines  # the log is appended to by every attempt
    for line in reversed(lines):
        if ": error:" in line or ": failed:" in line:
            return line.strip()
    for line in str(err).splitlines():
        if "exit status" in line:
            return line.strip().split("; log:")[0]
    return type(err).__name__ + (f": {lines[-1].strip()}" if lines else "")
