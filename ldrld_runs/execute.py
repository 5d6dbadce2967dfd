"""Running a sweep's runs through submitit: its local executor on one machine (one run per free GPU,
or ``--max-parallel`` CPU runs), its Slurm executor on a cluster.

One scheduler for both: the runs and what each needs (``Run.after``) form one graph (``Graph``); a
loop hands the graph's runs to a backend when they may go and collects them when they end. The
local backend takes a run once its prerequisites are done and a slot is free; the Slurm backend takes
it once its prerequisites are submitted, as a job array whose ``afterok`` dependency on their jobs
lets Slurm do the waiting (``ldrld_runs.slurm``).

A run is one job: the tool's command, its output in the run's ``sweep.log``, ``done.json`` written
when it exits 0. Re-invoking the same sweep skips runs with ``done.json``, waits for the runs an
earlier invocation still has on the cluster or on this machine, resumes runs that left a checkpoint
(the tool's own ``--resume``) and starts the rest; a run that fails is reported with its log and does
not stop the others, and a run that needs it is reported as not started.
"""

import json
import os
import socket
import time

from ldrld_core.errors import InputError

from .job import run_job_of
from .slurm import (  # noqa: F401  (check_submission: this module's public name too)
    ENDED_GRACE_S,
    RESULT_GRACE_S,
    SLURM_ACTIVE,
    attach_job,
    check_submission,
    live_slurm_job,
    record_job,
    recorded_job,
    results_written,
    slurm_parameters,
    slurm_states,
    submit_array,
)

POLL_S = 0.5
LOCAL_TIMEOUT_MIN = 60 * 24 * 30  # submitit's local executor kills a job after 2 minutes unless told otherwise


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
    """submitit's executor: ``local``, or ``slurm`` with ``slurm_parameters``."""
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
    executor.update_parameters(**slurm_parameters(gpus_per_run, threads, slurm))
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


class Graph:
    """The runs of one invocation and what each needs (``Run.after``): which may go to a backend now,
    which wait, which never can (a prerequisite failed, or is neither done, nor among these runs, nor
    running elsewhere). The local order and Slurm's afterok dependencies both come from it."""

    def __init__(self, runs, todo):
        self.by_name = {run.name: run for run in runs}
        self.waiting = list(todo)  # not handed to a backend yet, in the order they should go
        self.active = {}  # name -> (run, job)
        self.job_ids = {}  # name -> the Slurm job of a run handed to Slurm
        self.done, self.failed = set(), set()

    def is_done(self, name) -> bool:  # finished here, or by an invocation still running it (its done.json)
        return name in self.done or (name in self.by_name and os.path.isfile(self.by_name[name].done_file))

    def may_go(self, run, ahead) -> bool:
        """Every prerequisite done, or (``ahead``: Slurm, whose afterok waits) handed to Slurm."""
        return all(self.is_done(n) or (ahead and n in self.job_ids and n not in self.failed) for n in run.after)

    def _may_end_well(self, name) -> bool:
        run = self.by_name.get(name)
        if run is None or name in self.failed:
            return False
        return name in self.active or run in self.waiting or self.is_done(name) or running_elsewhere(run)

    def never(self) -> list:
        """The waiting runs that can never start, taken off the wait."""
        lost = [r for r in self.waiting if not all(self._may_end_well(n) for n in r.after)]
        self.waiting = [r for r in self.waiting if r not in lost]
        self.failed.update(r.name for r in lost)
        return lost

    def start(self, run, job, job_id=None) -> None:
        if run in self.waiting:
            self.waiting.remove(run)
        self.active[run.name] = (run, job)
        if job_id:
            self.job_ids[run.name] = job_id

    def end(self, run, ok) -> None:
        del self.active[run.name]
        (self.done if ok else self.failed).add(run.name)

    def groups(self, runs) -> list:
        """``[(Slurm jobs they wait for, runs)]``: one job array per set of prerequisites."""
        groups = {}
        for run in runs:
            deps = tuple(sorted({self.job_ids[n] for n in run.after if not self.is_done(n)}))
            groups.setdefault(deps, []).append(run)
        return list(groups.items())


def _outcome(run, job):
    """``(ok, detail)`` of a job whose result submitit has."""
    try:
        job.results()
    except Exception as err:  # noqa: BLE001  (a failed run is reported and the others go on)
        return False, f" ({failure_reason(err, run.log)}; log: {run.log}; submitit: {job.paths.stdout})"
    return True, ""


class LocalBackend:
    """submitit's local executor: a run goes when its prerequisites are done and one of the
    ``max_parallel`` slots (each with its GPUs) is free."""

    ahead, poll_s = False, POLL_S

    def __init__(self, executor, max_parallel, env, gpus_per_run=0, gpus=()):
        self.executor, self.env, self.gpus_per_run = executor, env, gpus_per_run
        if gpus_per_run:
            self.slots = [tuple(gpus[k * gpus_per_run : (k + 1) * gpus_per_run]) for k in range(max_parallel)]
        else:
            self.slots = [()] * max_parallel
        self.busy = {}  # slot -> run name

    def capacity(self) -> int:
        return len(self.slots) - len(self.busy)

    def submit(self, runs, dependency=()) -> list:
        jobs = []
        for run in runs:
            slot = next(s for s in range(len(self.slots)) if s not in self.busy)
            if self.gpus_per_run:
                self.executor.update_parameters(visible_gpus=physical_gpus(self.slots[slot]))
            jobs.append(self.executor.submit(run_job_of(run, self.env)))
            self.busy[slot] = run.name
        return jobs

    def refresh(self) -> None:
        pass

    def outcome(self, run, job, failed_names):
        if not job.done():
            return None
        self.busy = {s: n for s, n in self.busy.items() if n != run.name}
        return _outcome(run, job)


class SlurmBackend:
    """submitit's Slurm executor: a run goes as soon as its prerequisites are handed to Slurm, in a job
    array after their jobs (afterok; Slurm cancels it if one fails); Slurm's own view (squeue) says
    when a job ended without a result (cancelled, timed out, killed)."""

    ahead, poll_s = True, POLL_S * 2

    def __init__(self, executor, max_parallel, env, slurm=None):
        self.executor, self.max_parallel, self.env, self.slurm = executor, max_parallel, env, slurm
        self.states, self.ended_at = {}, {}

    def capacity(self):
        return None  # no limit here: the array's parallelism is Slurm's

    def submit(self, runs, dependency=()) -> list:
        jobs = submit_array(self.executor, runs, self.max_parallel, self.env, list(dependency), self.slurm)
        for run, job in zip(runs, jobs):
            record_job(run, job)
        return jobs

    def refresh(self) -> None:
        self.states = slurm_states()

    def outcome(self, run, job, failed_names):
        if results_written(job):
            return _outcome(run, job)
        state = None if self.states is None else self.states.get(job.job_id, "GONE")
        if state is None or state in SLURM_ACTIVE:
            self.ended_at.pop(job.job_id, None)
            return None
        first = self.ended_at.setdefault(job.job_id, time.time())
        if time.time() - first <= (RESULT_GRACE_S if state == "COMPLETED" else ENDED_GRACE_S):
            return None
        needs = [n for n in run.after if n in failed_names]
        why = (
            f"not started: it needs {', '.join(needs)}, which failed"
            if needs
            else f"Slurm ended job {job.job_id} as {state}"
        )
        return False, f" ({why}; log: {run.log}; submitit: {job.paths.stdout})"


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
    if executor_kind == "slurm":
        backend = SlurmBackend(executor, max_parallel, env, slurm)
    else:
        backend = LocalBackend(executor, max_parallel, env, gpus_per_run, gpus)
    graph = Graph(runs, todo)
    for run in attached:
        graph.start(run, attach_job(run), recorded_job(run)["job_id"])
    progress = Progress(len(todo) + len(attached), print_fn)
    finished, failed = [], []
    while graph.waiting or graph.active:
        ready = [r for r in graph.waiting if graph.may_go(r, backend.ahead)]
        room = backend.capacity()
        for dependency, group in graph.groups(ready if room is None else ready[:room]):
            for run, job in zip(group, backend.submit(group, dependency)):
                graph.start(run, job, job.job_id if backend.ahead else None)
        backend.refresh()
        for run, job in list(graph.active.values()):
            result = backend.outcome(run, job, graph.failed)
            if result is not None:
                graph.end(run, result[0])
                (finished if result[0] else failed).append(run)
                progress.finished(run, *result)
        for run in graph.never():
            failed.append(run)
            progress.finished(run, False, f" (not started: it needs {', '.join(run.after)}, which failed)")
        if graph.waiting or graph.active:
            time.sleep(backend.poll_s)
    return finished, failed, skipped


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
