"""Slurm through submitit's public API: the parameters of a sweep's jobs, Slurm's word on them before
anything is submitted (``sbatch --test-only``), job arrays with ``afterok`` dependencies, the job ids
recorded in each run's folder (how a re-invoked sweep finds its runs), and what Slurm says of them
(``squeue``; no accounting database needed)."""

import json
import os
import shutil
import subprocess

from ldrld_core.errors import InputError

from .job import run_job_of, write_marker

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


def slurm_parameters(gpus_per_run=0, threads=None, slurm=None) -> dict:
    """submitit's SlurmExecutor parameters of a sweep's jobs (``slurm``: sbatch's names ``partition``,
    ``time`` in minutes, ``account``, ``qos``, ``mem``, ``cpus_per_task``, ``setup`` lines,
    ``tasks_per_node``: tasks of one run, each a rank of a DDP run)."""
    params = dict(job_name="ldrld_sweep", **{k: v for k, v in (slurm or {}).items() if v is not None})
    if params.get("tasks_per_node", 1) > 1:
        params.update(ntasks_per_node=params.pop("tasks_per_node"), nodes=1)
    params.pop("tasks_per_node", None)
    if gpus_per_run:
        params["gpus_per_node"] = gpus_per_run
    if threads:
        params.setdefault("cpus_per_task", threads)
    return params


SBATCH_FLAGS = ("job_name", "partition", "time", "account", "qos", "mem", "cpus_per_task", "gpus_per_node")
SBATCH_FLAGS += ("ntasks_per_node", "nodes")


def check_submission(params, slurm=None) -> None:
    """``sbatch --test-only`` with the jobs' parameters (``slurm_parameters``): Slurm's answer to the
    partition, account, QOS, time and resources, before anything is written or submitted."""
    flags = [f"--{k.replace('_', '-')}={params[k]}" for k in SBATCH_FLAGS if params.get(k) is not None]
    try:
        proc = subprocess.run(
            ["sbatch", "--test-only", *flags, "--wrap=true"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InputError(f"--executor slurm: sbatch could not be run ({err})") from None
    if proc.returncode != 0:
        raise refusal(proc.stderr + proc.stdout, slurm)


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


def attach_job(run):
    """submitit's handle on the Slurm job an earlier invocation recorded for ``run``."""
    import submitit

    record = recorded_job(run)
    return submitit.SlurmJob(folder=record["folder"], job_id=record["job_id"], tasks=range(record.get("tasks", 1)))


def record_job(run, job) -> None:
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


def _tasks(job) -> list:
    return [job.task(k) for k in range(job.num_tasks)] if job.num_tasks > 1 else [job]


def results_written(job) -> bool:
    return all(task.paths.result_pickle.exists() for task in _tasks(job))
