"""The tests that need a Slurm cluster run against a real one: the single-node cluster of
tools/slurm_local.sh (which .ci/run starts), or any cluster this machine is a client of. Without
one they are skipped, except under CI=true, where a missing cluster fails them."""

import functools
import json
import os
import shutil
import subprocess
import time

import pytest

from tool_helpers import ROOT


@functools.cache
def cluster_problem():
    """None when a Slurm controller answers and a node can take jobs, else why not (asked once a session)."""
    if not shutil.which("sbatch"):
        return "no Slurm client (sbatch) on this machine"
    conf = os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf")
    if not os.path.isfile(conf):  # without one, Slurm's commands spend a minute looking for a controller in DNS
        return f"no Slurm configuration ({conf})"
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=60)
    if ping.returncode != 0 or "UP" not in ping.stdout:
        return f"no Slurm controller answers ({(ping.stdout + ping.stderr).strip()})"
    nodes = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=60).stdout.split()
    if not any(state.rstrip("*") in ("idle", "mixed", "allocated") for state in nodes):
        return f"no Slurm node can take jobs (states: {nodes})"
    return None


def require_cluster():
    problem = cluster_problem()
    if problem is None:
        return
    message = f"{problem}; start the local one with: bash {os.path.join('tools', 'slurm_local.sh')} up"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the Slurm tests cannot run: {message}")
    pytest.skip(message)


def job_env():
    """What a Slurm job of the tests needs: sbatch exports the submitting environment, so the project
    and tests/ (for the probe hook of the distributed tests) are importable in the job."""
    path = os.pathsep.join([ROOT, os.path.join(ROOT, "tests"), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path, "OMP_NUM_THREADS": "1"}


def slurm(*args, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}: {proc.stdout}{proc.stderr}")
    return proc.stdout


def job_state(job_id):
    """Slurm's state of ``job_id`` (``PENDING``, ``RUNNING``, ``COMPLETED``, ...), '' when it has none."""
    out = slurm("squeue", "--noheader", "--array", "--states=all", "--format=%i|%T", check=False)
    return dict(line.split("|", 1) for line in out.split() if "|" in line).get(job_id, "")


def wait_for(predicate, timeout, what, poll=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def recorded_job_id(work_dir):
    with open(os.path.join(work_dir, "job.json")) as f:
        return json.load(f)["job_id"]


def attempts(log):
    """The command lines a run's sweep.log holds, one per attempt."""
    with open(log) as f:
        return [line for line in f.read().splitlines() if line.startswith("$ ")]
