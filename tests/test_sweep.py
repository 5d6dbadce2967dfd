"""tools/sweep.py and tools/report.py on toy classification runs (submitit's local executor,
CPU, and the same sweep on a real Slurm cluster: tests/test_slurm.py has the rest); the Slurm
job script submitit writes for a sweep (a stand-in sbatch); a killed sweep re-invoked finishes
only what is missing; config keys a sweep sets are checked before anything runs."""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest

from ldrld_core.run_logs import read_scalars
from toy.digits import make_digits

from tool_helpers import ROOT, TOY, call_tool, run_tool, tool_command

CONFIG = os.path.join(TOY, "cls", "student.py")
ONE_EPOCH = [
    "--extra",
    "--cfg-options",
    "train_cfg.max_epochs=1",
    "train_cfg.val_interval=1",
    "train_dataloader.batch_size=16",
]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    _, students = make_digits(
        str(tmp_path_factory.mktemp("digits")), teacher_per_class=2, student_per_class=4, test_per_class=2
    )
    return students


@pytest.fixture(scope="module")
def sweep(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    proc = run_tool(
        "sweep.py",
        CONFIG,
        "--seeds",
        "0",
        "1",
        "--grid",
        "optim_wrapper.optimizer.lr=0.05,0.1",
        "--data-root",
        digits,
        "--out",
        out,
        "--max-parallel",
        "2",
        "--threads",
        "1",
        *ONE_EPOCH,
    )
    return out, proc


def test_every_run_is_one_invocation_of_the_tool_in_a_folder_named_by_its_settings(sweep):
    out, proc = sweep
    names = sorted(f"{lr}/seed{s}" for lr in ("lr=0.05", "lr=0.1") for s in (0, 1))
    runs = json.loads((out / "sweep.json").read_text())["runs"]
    assert sorted(r["name"].split("/", 1)[1] for r in runs) == names
    for run in runs:
        folder = out / run["name"]
        command = (folder / "command.sh").read_text()
        assert os.path.join("tools", "train_cls.py") in command and f"randomness.seed={run['seed']}" in command
        assert f"optim_wrapper.optimizer.lr={run['point']['optim_wrapper.optimizer.lr']}" in command
        assert (folder / "done.json").is_file() and (folder / "sweep.log").is_file()
    progress = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(progress) == 4 and progress[-1].startswith("[4/4] done") and "ETA" in progress[-1]


def test_report_equals_the_runs_own_logs(sweep):
    out, _ = sweep
    report = json.loads((out / "report.json").read_text())
    assert len(report["rows"]) == 2
    for row in report["rows"]:
        lr = row["point"]["optim_wrapper.optimizer.lr"]
        logged = []
        for seed in (0, 1):
            records = [r for r in read_scalars(out / "student" / f"lr={lr}" / f"seed{seed}") if "accuracy/top1" in r]
            logged.append(records[-1]["accuracy/top1"])
        assert row["last"]["n"] == 2 and row["finished"] == [0, 1]
        assert row["last"]["mean"] == pytest.approx(statistics.fmean(logged))
        assert row["last"]["std"] == pytest.approx(statistics.stdev(logged))
        assert (row["last"]["min"], row["last"]["max"]) == (min(logged), max(logged))
    text = (out / "report.md").read_text()
    assert "mean ± std" in text and "| toy/cls/student.py | optim_wrapper.optimizer.lr=0.05 |" in text
    assert (out / "sensitivity_student_lr.png").is_file()  # a grid over one parameter: Table 11-14's plot
    again = run_tool("report.py", out)  # the report on its own gives the same table
    assert again.stdout.startswith(text.splitlines()[0])


def test_paper_numbers_stand_beside_the_packaged_recipes():
    from ldrld_runs.report import _paper_value, config_key, paper_numbers

    paper = paper_numbers()
    key = config_key(os.path.join(ROOT, "configs", "cls", "cifar100", "resnet32x4_resnet8x4_ldrld.py"))
    assert _paper_value(paper, key, {}) == (77.20, "15, 18, 20")
    r56 = config_key(os.path.join(ROOT, "configs", "cls", "cifar100", "resnet56_resnet20_ldrld.py"))
    assert _paper_value(paper, r56, {"model.distill_loss.alpha": "6.5"}) == (72.03, "11")
    assert _paper_value(paper, config_key(os.path.join(ROOT, "configs", "frcnn_r101_r18_ldrld.py")), {})[0] == 35.12
    for name in paper["results"]:  # every entry names a packaged config
        assert os.path.isfile(os.path.join(ROOT, "configs", name)), name


def test_a_sensitivity_plot_is_drawn_for_one_numeric_parameter_only(tmp_path):
    """A config's default beside rows over a name (``distill_loss.type``) is no sensitivity curve (such
    a grid once raised KeyError); a grid over one number is."""
    from ldrld_runs.report import sensitivity_plots

    def row(config, point, mean):
        last = {"mean": mean, "std": 0.5, "n": 2, "min": mean, "max": mean}
        return {"config": config, "point": point, "metric": "top-1 (%)", "last": last, "best": last}

    reid = "toy/reid/ldrld.py"
    rows = [row(reid, {}, 50.0)] + [row(reid, {"distill_loss.type": n}, 40.0) for n in ("KDLoss", "DKDLoss")]
    rows += [row("x.py", {"model.distill_loss.alpha": a}, 70.0 + float(a)) for a in ("6.0", "7.0")]
    written = sensitivity_plots(rows, str(tmp_path))
    assert [os.path.basename(p) for p in written] == ["sensitivity_x_alpha.png"]


def test_a_killed_sweep_finishes_only_what_is_missing(digits, tmp_path):
    out = tmp_path / "sweep"
    args = [CONFIG, "--seeds", "0", "1", "2", "--data-root", digits, "--out", out, "--threads", "1", *ONE_EPOCH]
    proc = subprocess.Popen(
        tool_command("sweep.py", *args),
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = out / "student" / "default" / "seed0" / "done.json"
    deadline = time.time() + 300
    while not first.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its jobs and their tools, as a machine losing power
    proc.wait()
    assert first.exists() and not (out / "student" / "default" / "seed2" / "done.json").exists()
    stamp = first.stat().st_mtime_ns
    again = run_tool("sweep.py", *args)
    assert "1 of 3 run(s) already done or running; 2 to go" in again.stdout
    assert first.stat().st_mtime_ns == stamp  # the finished run was not run again
    assert all((out / "student" / "default" / f"seed{s}" / "done.json").exists() for s in (0, 1, 2))
    report = json.loads((out / "report.json").read_text())
    assert report["rows"][0]["last"]["n"] == 3


def test_a_failed_run_is_reported_with_the_tools_own_error(tmp_path):
    """The data root is empty, so the run fails in the tool: the sweep's line for that run carries the
    tool's error line, and the sweep exits 1."""
    (tmp_path / "empty").mkdir()
    proc = run_tool(
        "sweep.py",
        CONFIG,
        "--seeds",
        "0",
        "--data-root",
        tmp_path / "empty",
        "--out",
        tmp_path / "sweep",
        "--threads",
        "1",
        *ONE_EPOCH,
        check=False,
    )
    assert proc.returncode == 1
    line = next(x for x in proc.stdout.splitlines() if "FAILED" in x)
    assert "student/default/seed0 (train_cls.py: error: CIFAR-100: " in line and "empty" in line
    assert "sweep: 1 run(s) failed" in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--grid", "model.nonexistent_key=1,2"],
            "--grid model.nonexistent_key: config {config} has no such key (model has no 'nonexistent_key'); "
            "nearest keys: ",
        ),
        (  # the student config has no distillation loss (a grid over its weight used to fail in every run)
            ["--grid", "model.distill_loss.alpha=8.0,9.5"],
            "--grid model.distill_loss.alpha: config {config} has no such key (model.distill_loss is None, ",
        ),
        (
            ["--extra", "--cfg-options", "optim_wrapper.optimizer.lrr=0.1"],
            "--extra --cfg-options optim_wrapper.optimizer.lrr: config {config} has no such key "
            "(optim_wrapper.optimizer has no 'lrr'); nearest keys: optim_wrapper.optimizer.lr",
        ),
    ],
)
def test_a_key_the_config_lacks_is_refused_before_anything_runs(tmp_path, args, message):
    out = tmp_path / "sweep"
    code, _, err = call_tool("sweep.py", CONFIG, "--seeds", "0", "1", "--out", out, "--executor", "slurm", *args)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("sweep.py: error: " + message.format(config=CONFIG)), line
    assert not out.exists()  # nothing written, nothing submitted


def test_a_reid_key_the_recipe_lacks_is_refused_with_the_nearest_keys(tmp_path):
    """A Re-ID config is read as every MMEngine config is (its _base_ chain holds torchreid's defaults)."""
    config = os.path.join(TOY, "reid", "ldrld.py")
    code, _, err = call_tool("sweep.py", config, "--seeds", "0", "--grid", "distill_loss.gamma=1", "--out", tmp_path)
    assert code == 2
    assert err.strip() == (
        f"sweep.py: error: --grid distill_loss.gamma: config {config} has no such key (distill_loss has no "
        "'gamma'); nearest keys: distill_loss.alpha, distill_loss.beta, distill_loss.type"
    )
    code, _, err = call_tool("sweep.py", config, "--seeds", "0", "--grid", "train.max_epochs=1", "--out", tmp_path)
    assert code == 2 and "nearest keys: train.max_epoch" in err  # a default of torchreid's, set in no file here


def test_ranks_per_run_are_for_slurm_and_not_for_reid(tmp_path):
    reid = os.path.join(TOY, "reid", "student.py")
    code, _, err = call_tool("sweep.py", CONFIG, "--seeds", "0", "--tasks-per-run", "2", "--out", tmp_path / "a")
    assert (
        code == 2
        and "--tasks-per-run 2: only with --executor slurm (on one machine, run the tool under torchrun" in err
    )
    code, _, err = call_tool(
        "sweep.py", reid, "--seeds", "0", "--executor", "slurm", "--tasks-per-run", "2", "--out", tmp_path / "b"
    )
    assert code == 2 and "is a reid config, whose tool trains single-process (several ranks: cls, det)" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_same_sweep_through_slurm_gives_the_local_executors_numbers(sweep, digits, tmp_path):
    """The module's sweep again with --executor slurm on a real cluster (tools/slurm_local.sh): every
    run's final top-1 equals the local executor's, and tools/report.py reads it."""
    from slurm_helpers import job_env, recorded_job_id, require_cluster

    require_cluster()
    local, _ = sweep
    out = tmp_path / "slurm"
    grid = ["--grid", "optim_wrapper.optimizer.lr=0.05,0.1"]
    args = [CONFIG, "--seeds", "0", "1", *grid, "--data-root", digits, "--out", out, "--executor", "slurm"]
    proc = run_tool("sweep.py", *args, "--max-parallel", "2", "--threads", "1", *ONE_EPOCH, env=job_env())
    assert "(slurm executor)" in proc.stdout and "[4/4] done" in proc.stdout
    for lr in ("lr=0.05", "lr=0.1"):
        for seed in (0, 1):
            name = os.path.join("student", lr, f"seed{seed}")
            assert recorded_job_id(out / name)  # a Slurm job ran it
            top1 = [[r["accuracy/top1"] for r in read_scalars(d / name) if "accuracy/top1" in r] for d in (local, out)]
            assert top1[0] and top1[0][-1] == top1[1][-1]
    again = json.loads(run_tool("report.py", out) and (out / "report.json").read_text())
    expected = json.loads((local / "report.json").read_text())
    assert [r["last"] for r in again["rows"]] == [r["last"] for r in expected["rows"]]


def test_the_failure_reason_comes_from_this_attempts_part_of_the_log(tmp_path):
    from ldrld_runs.execute import failure_reason

    log = tmp_path / "sweep.log"
    log.write_text(
        "$ tool a\ntrain_cls.py: error: an earlier attempt's input\n$ tool a --resume\nepoch 3\n"
        "train_cls.py: failed: RuntimeError: out of memory (LDRLD_DEBUG=1 for the traceback)\n"
    )
    assert failure_reason(RuntimeError("exit status 1; log: x"), log).startswith("train_cls.py: failed: RuntimeError")
    log.write_text("$ tool a\ntrain_cls.py: error: an earlier attempt's input\n$ tool a --resume\nKilled\n")
    assert failure_reason(RuntimeError("job failed\nexit status 137; log: x"), log) == "exit status 137"


def test_a_run_waits_for_a_prerequisite_that_another_invocation_is_still_running(tmp_path):
    """The teacher is being run by an earlier invocation (its running.json names a live process
    here): the student must not start before the teacher's done.json appears."""
    import socket
    import threading

    from ldrld_runs.execute import execute
    from ldrld_runs.job import write_marker
    from ldrld_runs.plan import Run

    teacher = Run(task="plot", config="", seed=0, name="teacher", work_dir=str(tmp_path / "teacher"))
    stamp = tmp_path / "student_started"
    student = Run(
        task="plot",
        config="",
        seed=0,
        name="student",
        work_dir=str(tmp_path / "student"),
        after=["teacher"],
        command=[sys.executable, "-c", f"open({str(stamp)!r}, 'w').close()"],
    )
    os.makedirs(teacher.work_dir)
    elsewhere = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    write_marker(os.path.join(teacher.work_dir, "running.json"), {"pid": elsewhere.pid, "host": socket.gethostname()})

    early = []

    def teacher_finishes():
        time.sleep(2)
        early.append(stamp.exists())  # the student must still be waiting
        write_marker(teacher.done_file, {"seconds": 2})
        elsewhere.kill()

    finisher = threading.Thread(target=teacher_finishes)
    finisher.start()
    try:
        finished, failed, skipped = execute(
            [teacher, student], "local", str(tmp_path / "submitit"), 2, print_fn=lambda *a, **k: None
        )
    finally:
        finisher.join()
        elsewhere.kill()
    assert early == [False], "the student started while its teacher was still running elsewhere"
    assert [r.name for r in finished] == ["student"] and not failed and [r.name for r in skipped] == ["teacher"]
    assert stamp.exists()


def test_gpu_numbers_follow_the_parents_visible_devices(monkeypatch):
    from ldrld_core.errors import InputError
    from ldrld_runs.execute import physical_gpus

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert physical_gpus([0, 1]) == (0, 1)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert physical_gpus([1]) == (3,) and physical_gpus([0, 1]) == (2, 3)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-5f3a")
    with pytest.raises(InputError, match="CUDA_VISIBLE_DEVICES=GPU-5f3a: expected GPU numbers"):
        physical_gpus([0])


def test_slurm_job_array_script(tmp_path, monkeypatch):
    """submitit's own sbatch script for a sweep on a cluster; a stand-in sbatch records the submission."""
    from ldrld_runs.execute import make_executor, submit_array
    from ldrld_runs.plan import build_plan

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(
        f"#!/bin/sh\necho \"$@\" > {tmp_path / 'sbatch_args'}\necho 'Submitted batch job 4242'\n"
    )
    (bin_dir / "sbatch").chmod(0o755)
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")  # submitit looks for srun before it submits
    (bin_dir / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    runs = build_plan([CONFIG], [0, 1, 2], (), str(tmp_path / "out"), "data/digits")
    executor = make_executor(
        "slurm",
        str(tmp_path / "submitit"),
        gpus_per_run=1,
        threads=4,
        slurm=dict(partition="gpu", time=720, account="lab", setup=["module load cuda"]),
    )
    jobs = submit_array(executor, runs, max_parallel=2, env={"OMP_NUM_THREADS": "4"})
    assert [j.job_id for j in jobs] == ["4242_0", "4242_1", "4242_2"]
    scripts = list((tmp_path / "submitit").glob("*_submission.sh"))
    assert len(scripts) == 1
    script = scripts[0].read_text()
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --time=720",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --account=lab",
        "#SBATCH --array=0-2%2",
        "module load cuda",
    ):
        assert line in script, (line, script)
    assert f"{sys.executable} -u -m submitit.core._submit" in script.replace("'", "")
    assert (tmp_path / "sbatch_args").read_text().strip().endswith(".sh")  # submitit's own script went to sbatch
    assert "#SBATCH --job-name=ldrld_sweep" in script


def test_a_grid_point_that_turns_distillation_off_gets_no_teacher(tmp_path):
    """A sweep over the loss itself: the point without a distillation loss trains the student alone, so
    it is not handed the teacher checkpoint (whose run it would otherwise wait for); the others are. The
    same rule for every task: a config distils when it has a distill_loss (Re-ID's at its top level)."""
    from ldrld_runs.plan import build_plan, task_of

    config = os.path.join(TOY, "cls", "kd.py")
    (off,) = build_plan([config], [0], [("model.distill_loss", ["None"])], tmp_path, teacher_checkpoint="t.pth")
    (on,) = build_plan([config], [0], [("model.distill_loss.temperature", ["2.0"])], tmp_path, "d", "t.pth")
    assert not off.has_teacher and "--teacher-checkpoint" not in off.command
    assert on.has_teacher and "--teacher-checkpoint" in on.command
    reid = os.path.join(TOY, "reid")
    assert task_of(os.path.join(reid, "ldrld.py")) == ("reid", True)
    assert task_of(os.path.join(reid, "student.py")) == ("reid", False)
    assert task_of(os.path.join(reid, "ldrld.py"), {"distill_loss": None}) == ("reid", False)


def test_one_graph_orders_local_runs_and_slurm_dependencies(tmp_path):
    """The local order and Slurm's afterok both come from ldrld_runs.execute.Graph: locally a run goes
    once its prerequisites are done, on Slurm once they are submitted (one array per set of the jobs
    it waits for); a run whose prerequisite failed, or is not among the runs, never goes."""
    from ldrld_runs.execute import Graph
    from ldrld_runs.plan import Run

    def run(name, after=()):
        return Run(task="plot", config="", seed=0, name=name, work_dir=str(tmp_path / name), after=list(after))

    teacher, student, other = run("teacher"), run("student", ["teacher"]), run("other", ["teacher"])
    stray = run("stray", ["elsewhere"])  # its prerequisite is not part of this invocation and not done
    graph = Graph([teacher, student, other, stray], [teacher, student, other, stray])
    assert [r.name for r in graph.never()] == ["stray"] and "stray" in graph.failed
    assert [r.name for r in graph.waiting if graph.may_go(r, ahead=False)] == ["teacher"]
    graph.start(teacher, job=None, job_id="41_0")
    assert [r.name for r in graph.waiting if graph.may_go(r, ahead=False)] == []  # local: wait for it to end
    assert [r.name for r in graph.waiting if graph.may_go(r, ahead=True)] == ["student", "other"]  # Slurm: afterok
    assert graph.groups([student, other]) == [(("41_0",), [student, other])]  # one array after the teacher's job
    graph.end(teacher, ok=True)
    assert graph.groups([student]) == [((), [student])]  # done: nothing left to wait for
    failing = Graph([teacher, student], [student])
    failing.failed.add("teacher")
    assert [r.name for r in failing.never()] == ["student"] and not failing.waiting


def test_slurm_is_asked_about_the_jobs_through_sbatch_itself(tmp_path, monkeypatch):
    """sbatch --test-only with the jobs' own parameters (no private submitit call), before anything
    is submitted; its refusal is one sentence naming the option."""
    from ldrld_core.errors import InputError
    from ldrld_runs.slurm import check_submission, slurm_parameters

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(
        f"#!/bin/sh\necho \"$@\" > {tmp_path / 'args'}\n"
        'case "$*" in *--qos=nope*) echo "sbatch: error: Invalid qos specification" >&2; exit 1;; esac\n'
    )
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    slurm = dict(partition="gpu", time=720, account="lab", qos=None, setup=["module load cuda"], tasks_per_node=2)
    check_submission(slurm_parameters(1, 4, slurm), slurm)
    args = (tmp_path / "args").read_text().split()
    assert args[0] == "--test-only" and args[-1] == "--wrap=true"
    for flag in ("--partition=gpu", "--time=720", "--account=lab", "--gpus-per-node=1", "--cpus-per-task=4"):
        assert flag in args, (flag, args)
    assert "--ntasks-per-node=2" in args and "--nodes=1" in args and not any("qos" in a for a in args)
    slurm["qos"] = "nope"
    with pytest.raises(InputError, match=r"^--slurm-qos nope: Slurm refused the submission \(Invalid qos"):
        check_submission(slurm_parameters(1, 4, slurm), slurm)
