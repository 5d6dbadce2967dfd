"""Running a sweep's runs through submitit: its local executor on one machine (one run
per free GPU, or ``--max-parallel`` CPU runs), its Slurm executor on a cluster.

A run is one job: the tool's command, its output in the run's ``sweep.log``,
``done.json`` written when it exits 0. Re-invoking the same sweep skips runs
with ``done.json``, resumes runs that left a checkpoint (the tool's own
``--resume``) and starts the rest; a run that fails is reported with its log
and does not stop the others.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from ldrld_core.errors import InputError

from .job import RunJob

POLL_S = 0.5
LOCAL_TIMEOUT_MIN = 60 * 24 * 30  # submitit's local executor kills a job after 2 minutes unless told otherwise
# Slurm job states in which a job may still run (squeue's long names)
SLURM_ACTIVE = {
    "PENDING",
    "CONFIGURING",
    "RUNNING",
    "COMPLETING",
    "SUSPENDED",
    "REQUEUED",
    "REQUEUE_FED",
    "REQUEUE_HOLD",
    "RESIZING",
    "SIGNALING",
    "STAGE_OUT",
    "STOPPED",
    "RESV_DEL_HOLD",
}
ENDED_GRACE_S = 3  # a job Slurm reports failed or cancelled: how long submitit may take to write its result
RESULT_GRACE_S = 30  # a job Slurm reports ended: how long its result file may take to appear (shared file systems)


def checkpoint_glob(run):
    """Where the run's tool leaves a checkpoint to resume from (relative to its work dir), or None
    when the run resumes by itself (a full Re-ID pipeline)."""
    if run.task == "reid":
        return os.path.join("*", "model", "model.pth.tar-*") if "--mode" in run.command else None
    return "last_checkpoint"


def slurm_states():
    """``{job id: state}`` of every job the Slurm controller knows (array tasks one by one, as
    submitit names them: ``123_4``); empty on a machine without Slurm (no job of this machine can be on a
    cluster), None when the controller cannot be asked (no answer: a job may still be there)."""
    if not shutil.which("squeue"):
        return {}
    try:
        out = subprocess.run(
            ["squeue", "--noheader", "--array", "--states=all", "--format=%i|%T"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return dict(line.strip().split("|", 1) for line in out.stdout.splitlines() if "|" in line)


def recorded_job(run):
    """The Slurm job an earlier invocation submitted for ``run`` (its ``job.json``), or None."""
    try:
        with open(os.path.join(run.work_dir, "job.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def live_slurm_job(run, states=None):
    """The id of the Slurm job that an earlier invocation submitted for ``run`` when Slurm still has
    it pending or running (wherever that invocation ran: a login node, another machine), else None."""
    record = recorded_job(run)
    if not record or not record.get("job_id") or os.path.isfile(run.done_file):
        return None
    states = slurm_states() if states is None else states
    if states is None:  # Slurm cannot be asked: assume the job may still run rather than submit it twice
        return record["job_id"]
    return record["job_id"] if states.get(record["job_id"]) in SLURM_ACTIVE else None


def running_elsewhere(run, states=None) -> bool:
    """True when a job of an earlier invocation still runs this run: a Slurm job it recorded that
    Slurm has pending or running, or a local job's process on this machine."""
    if recorded_job(run):
        return live_slurm_job(run, states) is not None
    try:
        with open(os.path.join(run.work_dir, "running.json")) as f:
            info = json.load(f)
        if info.get("host") != socket.gethostname():
            return False
        os.kill(int(info["pid"]), 0)
        return True
    except (OSError, ValueError, KeyError):
        return False


def run_job_of(run, env=None) -> RunJob:
    return RunJob(run.command, run.work_dir, run.log, env, checkpoint_glob(run))


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
    """submitit's executor: ``local``, or ``slurm`` with the ``slurm`` options (sbatch's names:
    ``partition``, ``time`` in minutes, ``account``, ``qos``, ``mem``, ``cpus_per_task``, ``setup``
    lines, ``tasks_per_node``: tasks of one run, each a rank of a DDP run)."""
    import submitit

    if kind == "local":
        executor = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(timeout_min=LOCAL_TIMEOUT_MIN, gpus_per_node=gpus_per_run)
        return executor
    try:
        executor = submitit.SlurmExecutor(folder=folder)
    except RuntimeError:  # submitit's own check: srun is not on PATH
        raise InputError(
            "--executor slurm: this machine has no Slurm client (srun, sbatch); run the sweep on a login node "
            "of the cluster, or start the local one with bash tools/slurm_local.sh up"
        ) from None
    params = dict(job_name="ldrld_sweep", **{k: v for k, v in (slurm or {}).items() if v is not None})
    if params.get("tasks_per_node", 1) > 1:
        params.update(ntasks_per_node=params.pop("tasks_per_node"), nodes=1)
    params.pop("tasks_per_node", None)
    if gpus_per_run:
        params["gpus_per_node"] = gpus_per_run
    if threads:
        params.setdefault("cpus_per_task", threads)
    executor.update_parameters(**params)
    return executor


SLURM_OPTIONS = (("partition", "partition"), ("account", "account"), ("qos", "qos"), ("time limit", "time"))


def refusal(message, slurm=None) -> InputError:
    """Slurm's refusal of a submission (sbatch's ``error:`` line) as one sentence naming the option."""
    lines = [line.strip() for line in str(message).splitlines() if "error:" in line]
    reason = (lines[-1] if lines else str(message).strip().splitlines()[-1]).split("error:", 1)[-1].strip()
    for word, key in SLURM_OPTIONS:
        if word in reason.lower() and (slurm or {}).get(key) is not None:
            option = f"--slurm-{key.replace('_', '-')} {slurm[key]}"
            return InputError(f"{option}: Slurm refused the submission ({reason}); nothing was submitted")
    return InputError(f"--executor slurm: Slurm refused the submission ({reason}); nothing was submitted")


def check_submission(executor, slurm=None) -> None:
    """``sbatch --test-only`` on the job script submitit would submit: Slurm's answer to the partition,
    account, QOS, time and resources, before anything is written or submitted."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "check.sh")
        with open(script, "w") as f:
            f.write(executor._make_submission_file_text("true", "check"))
        try:
            proc = subprocess.run(["sbatch", "--test-only", script], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise InputError(f"--executor slurm: sbatch could not be run ({err})") from None
    if proc.returncode != 0:
        raise refusal(proc.stderr + proc.stdout, slurm)


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
    """Run every run not done yet; returns ``(finished, failed, skipped)`` lists of runs. On Slurm, runs
    that an earlier invocation submitted and Slurm still has pending or running are waited for, not
    submitted again."""
    states = slurm_states() if any(recorded_job(r) for r in runs) else {}
    todo, skipped, attached = [], [], []
    for run in runs:
        if os.path.isfile(run.done_file):
            skipped.append(run)
        elif executor_kind == "slurm" and live_slurm_job(run, states):
            print_fn(f"wait {run.name}: still on the cluster as job {live_slurm_job(run, states)}", flush=True)
            attached.append(run)
        elif running_elsewhere(run, states):
            print_fn(f"skip {run.name}: still running from an earlier invocation", flush=True)
            skipped.append(run)
        else:
            todo.append(run)
    if skipped or attached:
        print_fn(
            f"{len(skipped) + len(attached)} of {len(runs)} run(s) already done or running; {len(todo)} to go",
            flush=True,
        )
    env = {"OMP_NUM_THREADS": str(threads)} if threads else {}
    executor = make_executor(executor_kind, folder, gpus_per_run, threads, slurm)
    progress = Progress(len(todo) + len(attached), print_fn)
    finished, failed = [], []

    def submit(run, gpu_ids=()):
        if executor_kind == "local" and gpus_per_run:
            executor.update_parameters(visible_gpus=physical_gpus(gpu_ids))
        return executor.submit(run_job_of(run, env))

    def collect(run, job):
        try:
            job.results()
        except Exception as err:  # noqa: BLE001  (a failed run is reported and the others go on)
            failed.append(run)
            progress.finished(
                run, False, f" ({failure_reason(err, run.log)}; log: {run.log}; submitit: {job.paths.stdout})"
            )
            return False
        finished.append(run)
        progress.finished(run, True)
        return True

    if executor_kind == "slurm":  # Slurm schedules the arrays itself, prerequisites as afterok dependencies
        jobs = [(run, attach_job(run)) for run in attached]
        jobs += submit_with_dependencies(executor, todo, runs, attached, jobs, max_parallel, env, slurm)
        failed_names = set()

        def ended(run, job, state):
            failed.append(run)
            failed_names.add(run.name)
            needs = [n for n in run.after if n in failed_names]
            why = (
                f"not started: it needs {', '.join(needs)}, which failed"
                if needs
                else f"Slurm ended job {job.job_id} as {state}"
            )
            progress.finished(run, False, f" ({why}; log: {run.log}; submitit: {job.paths.stdout})")

        wait_slurm([(r, j) for r, j in jobs if j is not None], collect, ended, failed_names)
        for run, job in jobs:
            if job is None:  # never submitted: a prerequisite can never finish
                failed.append(run)
                progress.finished(run, False, f" (not started: it needs {', '.join(run.after)}, which cannot run)")
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


def _tasks(job) -> list:
    return [job.task(k) for k in range(job.num_tasks)] if job.num_tasks > 1 else [job]


def results_written(job) -> bool:
    return all(task.paths.result_pickle.exists() for task in _tasks(job))


def attach_job(run):
    """submitit's handle on the Slurm job an earlier invocation recorded for ``run``."""
    import submitit

    record = recorded_job(run)
    return submitit.SlurmJob(folder=record["folder"], job_id=record["job_id"], tasks=range(record.get("tasks", 1)))


def record_job(run, job) -> None:
    from .job import write_marker

    os.makedirs(run.work_dir, exist_ok=True)
    record = {"job_id": job.job_id, "folder": str(job.paths.folder), "tasks": job.num_tasks}
    write_marker(os.path.join(run.work_dir, "job.json"), record)


def submit_array(executor, runs, max_parallel, env=None, dependency=None, slurm=None) -> list:
    """Submit ``runs`` as one Slurm job array (at most ``max_parallel`` running), after the Slurm jobs
    ``dependency`` (afterok: they must exit 0; a job whose prerequisite failed is cancelled by Slurm);
    the jobs."""
    executor.update_parameters(
        array_parallelism=max_parallel,
        dependency=f"afterok:{':'.join(dependency)}" if dependency else None,
        additional_parameters={"kill_on_invalid_dep": "yes"} if dependency else {},
    )
    try:
        with executor.batch():
            jobs = [executor.submit(run_job_of(run, env)) for run in runs]
    except Exception as err:  # noqa: BLE001  (submitit raises what sbatch said)
        if "sbatch" not in str(err) and "error" not in str(err):
            raise
        raise refusal(err, slurm) from None
    return jobs


def submit_with_dependencies(executor, todo, runs, attached, attached_jobs, max_parallel, env, slurm) -> list:
    """Submit ``todo`` in waves: first the runs whose prerequisites (``run.after``) are done, then each
    run after the Slurm jobs of its prerequisites (``afterok``), one array per set of prerequisites.
    Returns ``[(run, job)]``; job None for a run whose prerequisite can never finish."""
    by_name = {run.name: run for run in runs}
    job_ids = {run.name: job.job_id for run, job in attached_jobs}
    left, out = list(todo), []
    while left:
        waiting = {r.name for r in left}
        wave = [r for r in left if not any(n in waiting for n in r.after)]
        if not wave:  # prerequisites that wait for each other
            return out + [(r, None) for r in left]
        groups = {}
        for run in wave:
            deps, stuck = [], False
            for name in run.after:
                if name in job_ids:
                    deps.append(job_ids[name])
                elif not (name in by_name and os.path.isfile(by_name[name].done_file)):
                    stuck = True  # unknown, or never submitted
            if stuck:
                out.append((run, None))
                job_ids.pop(run.name, None)
            else:
                groups.setdefault(tuple(sorted(set(deps))), []).append(run)
        for deps, group in groups.items():
            for run, job in zip(group, submit_array(executor, group, max_parallel, env, list(deps), slurm)):
                record_job(run, job)
                job_ids[run.name] = job.job_id
                out.append((run, job))
        left = [r for r in left if r not in wave]
    return out


def wait_slurm(jobs, collect, ended, failed_names) -> None:
    """Wait for Slurm ``jobs`` (``[(run, job)]``): ``collect`` each whose result submitit wrote,
    ``ended(run, job, state)`` each that Slurm ended without one (cancelled, timed out, killed).
    Slurm's own view (squeue) decides; no accounting database (sacct) is needed."""
    pending, ended_at = list(jobs), {}
    while pending:
        states = slurm_states()
        for run, job in list(pending):
            if results_written(job):
                pending.remove((run, job))
                if not collect(run, job):
                    failed_names.add(run.name)
                continue
            state = None if states is None else states.get(job.job_id, "GONE")
            if state is None or state in SLURM_ACTIVE:
                ended_at.pop(job.job_id, None)
                continue
            first = ended_at.setdefault(job.job_id, time.time())
            if time.time() - first > (RESULT_GRACE_S if state == "COMPLETED" else ENDED_GRACE_S):
                pending.remove((run, job))
                ended(run, job, state)
        if pending:
            time.sleep(POLL_S * 2)


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
