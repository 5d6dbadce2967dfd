"""Many runs of any task: configs x grid points x seeds, each one ordinary invocation of the
task's own tool (tools/train_cls.py, train_det.py, train_reid.py), then tools/report.py.

    python tools/sweep.py configs/cls/cifar100/resnet56_resnet20_ldrld.py --seeds 0 1 2 \\
        --data-root data/cifar100 --teacher-checkpoint T.pth --out sweeps/r56_r20
    python tools/sweep.py CONFIG --seeds 0 1 2 --grid model.distill_loss.alpha=6.0,7.0,9.5 --max-parallel 2
    python tools/sweep.py CONFIG --seeds 0 1 2 --executor slurm --slurm-partition gpu --slurm-time 720 \\
        --gpus-per-run 1 --max-parallel 16

Every run gets its own work dir, OUT/<config>/<point>/seed<k>/, with the command
that runs it (command.sh) and its output (sweep.log). Runs go through submitit:
its local executor (one run per free GPU with --gpus-per-run, or --max-parallel
CPU runs) or Slurm. A failed run is reported with its log and the others go on;
invoking the same sweep again skips finished runs and resumes killed ones. On Slurm
(try it on this machine: make cluster) a re-invoked sweep waits for the jobs it
submitted before, submitit requeues pre-empted or timed-out runs, prerequisites are
afterok dependencies, and --tasks-per-run N makes each run an N-rank DDP job. See
docs/sweeps.md.
"""

import argparse
import os
import sys

from ldrld_core.errors import InputError, cli_boundary


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="sweep.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="MMEngine config files of any task")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds (default: 0 1 2)")
    p.add_argument(
        "--grid",
        action="append",
        metavar="KEY=V1,V2,...",
        help="a config key and its values; several --grid make a product",
    )
    p.add_argument("--data-root", help="passed to every run (--data-root)")
    p.add_argument(
        "--teacher-checkpoint", help="passed to every run that distils (a file, or the work dir of the teacher's run)"
    )
    p.add_argument("--executor", choices=("local", "slurm"), default="local")
    p.add_argument(
        "--max-parallel",
        type=int,
        help="runs at once (local default: the GPUs / --gpus-per-run, or 1 "
        "on a CPU machine; slurm: the array's parallelism)",
    )
    p.add_argument("--gpus-per-run", type=int, default=0, help="GPUs each run gets (default 0: CPU runs)")
    p.add_argument("--threads", type=int, help="OMP_NUM_THREADS of each run (e.g. 1 for several CPU runs at once)")
    p.add_argument("--out", default="sweeps", help="the sweep's folder (default: %(default)s)")
    p.add_argument("--slurm-partition")
    p.add_argument("--slurm-time", type=int, help="minutes per run")
    p.add_argument("--slurm-account")
    p.add_argument("--slurm-qos")
    p.add_argument("--slurm-mem", help="e.g. 32G")
    p.add_argument("--slurm-cpus-per-task", type=int)
    p.add_argument("--slurm-setup", action="append", help="a shell line run before each job (module load ...)")
    p.add_argument(
        "--tasks-per-run",
        type=int,
        default=1,
        help="Slurm: processes per run, one DDP rank each (srun tasks; the tool gets --launcher slurm); "
        "classification and detection only (Re-ID trains single-process)",
    )
    p.add_argument("--dry-run", action="store_true", help="write the plan and the commands, run nothing")
    p.add_argument(
        "--extra",
        nargs=argparse.REMAINDER,
        default=[],
        help="everything after --extra goes to every run's command line as is",
    )
    return p.parse_args(argv)


def _parallelism(args):
    import torch

    gpus = list(range(torch.cuda.device_count()))
    if args.gpus_per_run and args.executor == "local":
        if len(gpus) < args.gpus_per_run:
            raise InputError(f"--gpus-per-run {args.gpus_per_run}: this machine has {len(gpus)} visible GPU(s)")
        most = len(gpus) // args.gpus_per_run
        if args.max_parallel and args.max_parallel > most:
            raise InputError(
                f"--max-parallel {args.max_parallel}: {len(gpus)} GPU(s) hold at most {most} runs of "
                f"{args.gpus_per_run} GPU(s)"
            )
        return args.max_parallel or most, gpus
    if args.max_parallel is not None and args.max_parallel < 1:
        raise InputError(f"--max-parallel must be at least 1, got {args.max_parallel}")
    return args.max_parallel or 1, gpus


def _distributed(args, runs):
    """``--tasks-per-run N``: every run is one DDP run of N Slurm tasks (the tool's --launcher slurm)."""
    if args.tasks_per_run < 1:
        raise InputError(f"--tasks-per-run must be at least 1, got {args.tasks_per_run}")
    if args.tasks_per_run == 1:
        return
    if args.executor != "slurm":
        raise InputError(
            f"--tasks-per-run {args.tasks_per_run}: only with --executor slurm (on one machine, run the tool under "
            "torchrun --nproc_per_node N ... --launcher pytorch)"
        )
    from ldrld_runs.plan import DISTRIBUTED

    for run in runs:
        if run.task not in DISTRIBUTED:
            raise InputError(
                f"--tasks-per-run {args.tasks_per_run}: {run.config} is a {run.task} config, whose tool trains "
                f"single-process (several ranks: {', '.join(sorted(DISTRIBUTED))})"
            )
        run.command += ["--launcher", "slurm"]


@cli_boundary("sweep.py")
def main(argv=None):
    from ldrld_runs.execute import execute, make_executor
    from ldrld_runs.plan import build_plan, parse_grid, write_plan
    from ldrld_runs.report import write_report
    from ldrld_runs.slurm import check_submission, slurm_parameters

    args = parse_args(argv)
    out = os.path.abspath(args.out)
    runs = build_plan(
        args.configs, args.seeds, parse_grid(args.grid), out, args.data_root, args.teacher_checkpoint, args.extra
    )
    _distributed(args, runs)
    slurm = dict(
        partition=args.slurm_partition,
        time=args.slurm_time,
        account=args.slurm_account,
        qos=args.slurm_qos,
        mem=args.slurm_mem,
        cpus_per_task=args.slurm_cpus_per_task,
        setup=args.slurm_setup,
        tasks_per_node=args.tasks_per_run,
    )
    folder = os.path.join(out, ".submitit")
    if args.executor == "slurm" and not args.dry_run:  # Slurm's word on the options before anything is written
        make_executor("slurm", folder, args.gpus_per_run, args.threads, slurm)  # refused without a Slurm client
        check_submission(slurm_parameters(args.gpus_per_run, args.threads, slurm), slurm)
    write_plan(runs, out)
    print(f"sweep: {len(runs)} run(s) in {out} ({args.executor} executor)", flush=True)
    if args.dry_run:
        for run in runs:
            print(f"{run.name}: {os.path.join(run.work_dir, 'command.sh')}")
        return 0
    max_parallel, gpus = _parallelism(args)
    _, failed, _ = execute(runs, args.executor, folder, max_parallel, args.gpus_per_run, gpus, args.threads, slurm)
    _, text, plots = write_report(runs, out)
    print(text, end="")
    print(f"report: {os.path.join(out, 'report.md')} (.csv, .json)" + "".join(f", {p}" for p in plots))
    if failed:
        print(
            f"sweep: {len(failed)} run(s) failed: " + ", ".join(f"{r.name} (log: {r.log})" for r in failed),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
