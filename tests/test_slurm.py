"""tools/sweep.py --executor slurm against a real Slurm cluster (tools/slurm_local.sh's single node):
a re-invoked sweep recognises its run's queued job by its Slurm job id; a run Slurm pre-empts or
times out (its USR2) is requeued by submitit and continues from its checkpoint; a run cancelled
with scancel resumes from its checkpoint when the sweep is re-invoked; it ends equal to an
uninterrupted run. A refused submission writes nothing; prerequisites become afterok dependencies."""

import os
import signal
import subprocess
import sys

import pytest
import torch

from ldrld_core.run_logs import read_scalars
from toy.digits import make_digits

from slurm_helpers import attempts, job_env, job_state, recorded_job_id, require_cluster, slurm, wait_for
from tool_helpers import ROOT, TOY, load_run_checkpoint, run_tool, tool_command

CONFIG = os.path.join(TOY, "cls", "student.py")
EPOCHS = 16
LONG = [  # long enough to be interrupted after its first checkpoint, short enough for the suite
    "--extra",
    "--cfg-options",
    f"train_cfg.max_epochs={EPOCHS}",
    f"train_cfg.val_interval={EPOCHS}",
    "train_dataloader.batch_size=1",
    # MMEngine deletes the oldest checkpoint before it writes the next: with one kept, a kill in between leaves
    # none and the run starts over (to the same result); with two, one is always there to resume from
    "default_hooks.checkpoint.max_keep_ckpts=2",
]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """A Slurm cluster answers (tools/slurm_local.sh up); skipped without one, failed under CI=true."""
    require_cluster()


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    _, students = make_digits(
        str(tmp_path_factory.mktemp("digits")), teacher_per_class=2, student_per_class=4, test_per_class=2
    )
    return students


def sweep_args(digits, out):
    return [CONFIG, "--seeds", "0", "--data-root", digits, "--out", out, "--executor", "slurm", "--threads", "1"]


def start_sweep(args):
    return subprocess.Popen(
        tool_command("sweep.py", *args),
        cwd=ROOT,
        env=dict(os.environ, **job_env()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def final(work_dir):
    """The run's last top-1 and its last checkpoint's weights."""
    top1 = [r["accuracy/top1"] for r in read_scalars(work_dir) if "accuracy/top1" in r][-1]
    return top1, load_run_checkpoint(os.path.join(work_dir, f"epoch_{EPOCHS}.pth"))["state_dict"]


def assert_same_run(work_dir, reference):
    top1, weights = final(work_dir)
    assert top1 == reference[0]
    assert weights.keys() == reference[1].keys()
    assert all(torch.equal(weights[k], reference[1][k]) for k in weights)


@pytest.fixture(scope="module")
def uninterrupted(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    run_tool("sweep.py", *sweep_args(digits, out), *LONG, env=job_env())
    return final(out / "student" / "default" / "seed0")


def read_until(proc, text, seen):
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"the sweep ended before printing {text!r}:\n" + "".join(seen))


def checkpoint_epoch(work):
    """The epoch of the checkpoint ``last_checkpoint`` names (0: none yet)."""
    try:
        name = (work / "last_checkpoint").read_text().strip()
    except OSError:
        return 0
    return int(os.path.basename(name).split("_")[-1].split(".")[0]) if name else 0


def test_a_run_is_found_by_its_job_id_requeued_when_preempted_and_resumed_after_a_scancel(
    uninterrupted, digits, tmp_path
):
    """One run's life on a cluster, each step what a real one does to a sweep:
    1. its job waits in the queue behind a job that holds the node, and the sweep that submitted it is killed (a
       login node's session ending); invoked again, the sweep finds the job by the Slurm job id it recorded and
       waits for it instead of submitting it again;
    2. after its first checkpoint it gets Slurm's warning of a time limit (USR2, --signal USR2@90):
       submitit requeues the same job, which resumes from the checkpoint while the sweep waits;
    3. it is cancelled with scancel after a later checkpoint: the sweep reports it failed; invoked again, it
       submits it anew, resuming from the checkpoint;
    and the run ends equal to an uninterrupted one (top-1 and every weight)."""
    out = tmp_path / "sweep"
    work = out / "student" / "default" / "seed0"
    args = [*sweep_args(digits, out), *LONG]
    blocker = slurm("sbatch", "--parsable", "--output=/dev/null", "--cpus-per-task=2", "--wrap", "sleep 300").strip()
    sweeps, seen = [], []
    try:
        wait_for(lambda: job_state(blocker) == "RUNNING", 60, "the blocking job to hold the node")
        sweeps.append(start_sweep(args))
        wait_for(lambda: (work / "job.json").exists(), 60, "the run's job to be submitted")
        job = recorded_job_id(work)
        assert job_state(job) == "PENDING"
        os.killpg(sweeps[0].pid, signal.SIGKILL)
        sweeps[0].wait()
        sweeps.append(start_sweep(args))
        assert read_until(sweeps[1], "still on the cluster", seen) == (
            f"wait student/default/seed0: still on the cluster as job {job}\n"
        )
        slurm("scancel", blocker)
        # 2. warned of its time limit after its first checkpoint: requeued by submitit
        wait_for(lambda: checkpoint_epoch(work) >= 1, 120, "the run's first checkpoint")
        # what Slurm sends before a time limit (--signal USR2@90); a TERM sent with it reaches the training
        # process too and could end it (exit 1) before submitit's USR2 handler requeues the job: a race of the
        # test, not of a real time limit, where the USR2 comes 90 s ahead
        slurm("scancel", "--signal=USR2", job)
        wait_for(lambda: job_state(job) == "PENDING", 60, "the job back in the queue")
        # Slurm holds a requeued job 2 minutes; a start within the second of the requeue is refused by slurmd
        # ("Job credential revoked": the revocation is stamped in whole seconds), so it starts 3 s on
        slurm("scontrol", "update", f"JobId={job}", "StartTime=now+3")
        # 3. cancelled after a later checkpoint of the requeued job
        resumed_at = checkpoint_epoch(work)
        wait_for(lambda: checkpoint_epoch(work) > resumed_at and job_state(job) == "RUNNING", 120, "a later one")
        slurm("scancel", job)
        rest, _ = sweeps[1].communicate(timeout=120)
    finally:
        slurm("scancel", blocker, check=False)
        for proc in sweeps:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    text = "".join(seen) + rest
    assert sweeps[1].returncode == 1, text
    assert f"FAILED student/default/seed0 (Slurm ended job {job} as CANCELLED" in text, text
    assert not (work / "done.json").exists() and recorded_job_id(work) == job  # one job until then, requeued once
    assert len(list((out / ".submitit").glob("*_submission.sh"))) == 1
    again = run_tool("sweep.py", *args, env=job_env())
    assert "[1/1] done   student/default/seed0" in again.stdout
    first, requeued, resubmitted = attempts(work / "sweep.log")
    assert "--resume" not in first.split() and "--resume" in requeued.split() and "--resume" in resubmitted.split()
    assert recorded_job_id(work) != job
    assert_same_run(work, uninterrupted)


def test_a_submission_slurm_refuses_names_the_partition_and_writes_nothing(digits, tmp_path):
    out = tmp_path / "sweep"
    before = slurm("squeue", "--noheader", "--states=all", "--format=%i").split()
    proc = run_tool("sweep.py", *sweep_args(digits, out), "--slurm-partition", "nowhere", check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sweep.py: error: --slurm-partition nowhere: Slurm refused")
    assert "invalid partition" in lines[0]
    assert not out.exists()
    assert slurm("squeue", "--noheader", "--states=all", "--format=%i").split() == before


def test_a_prerequisite_is_an_afterok_dependency(tmp_path, monkeypatch):
    """The teacher before its student: the student's job waits in Slurm for the teacher's to exit 0; a student
    whose teacher fails never starts (Slurm cancels it) and is reported so."""
    from ldrld_runs.execute import execute
    from ldrld_runs.plan import Run

    monkeypatch.setenv("PYTHONPATH", job_env()["PYTHONPATH"])  # sbatch exports this environment to the jobs

    def run(name, code, after=()):
        work = tmp_path / name
        command = [sys.executable, "-c", code]
        return Run(task="plot", config="", seed=0, name=name, work_dir=str(work), command=command, after=list(after))

    stamp = tmp_path / "teacher_done"
    teacher = run("teacher", f"import time; time.sleep(3); open({str(stamp)!r}, 'w').close()")
    student = run("student", f"import os, sys; sys.exit(0 if os.path.exists({str(stamp)!r}) else 3)", ["teacher"])
    broken = run("broken_teacher", "raise SystemExit(4)")
    orphan = run("orphan", "pass", ["broken_teacher"])
    lines = []
    finished, failed, _ = execute(
        [teacher, student, broken, orphan],
        "slurm",
        str(tmp_path / "submitit"),
        2,
        threads=1,
        print_fn=lambda *a, **k: lines.append(a[0]),
    )
    assert sorted(r.name for r in finished) == ["student", "teacher"]
    assert sorted(r.name for r in failed) == ["broken_teacher", "orphan"]
    teacher_job = recorded_job_id(teacher.work_dir)
    script = next((tmp_path / "submitit").glob(f"{recorded_job_id(student.work_dir).split('_')[0]}_submission.sh"))
    assert f"#SBATCH --dependency=afterok:{teacher_job}" in script.read_text()
    assert "#SBATCH --kill-on-invalid-dep=yes" in script.read_text()
    assert not os.path.exists(orphan.log)  # never started
    assert any("orphan (not started: it needs broken_teacher, which failed" in line for line in lines), lines
