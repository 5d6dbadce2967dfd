"""Run one or more studies (configs/studies/*.py) in one queue and write their tables.

    python tools/study.py configs/studies/det_glyphs.py --out outputs/study_det       # make study-det
    python tools/study.py configs/studies/cls_typefaces.py --ablations --resume --out outputs/study_cls
    python tools/study.py my_study.py --seeds 0 1 2 3 4 --out outputs/mine             # a study of your own

Every run is an ordinary invocation of a public tool (the data: tools/make_toy_data.py; the rows:
train_cls.py, train_det.py or train_reid.py; the pictures: plot_corr.py and plot_curves.py), run
through ldrld_runs' executor, --max-parallel at a time, each as soon as what it needs is done;
every run's command is in its folder's command.sh. Written per study, in OUT/<name>/: table.md,
table.csv and table.json (mean, std, n and the per-seed values of every row, differences paired by
seed), summary.png, corr.png, curves_<row>.png, ablations.png, runs/report.md. A run that fails is
named and left out of its row (n drops below the seeds), the tables are still written, and the exit
status is 1. The last line printed is one JSON object: every study's rows as mean, std and n.
"""

import argparse
import json
import os
import shutil
import sys
import time

from ldrld_core.errors import InputError, cli_boundary
from ldrld_runs.execute import execute
from ldrld_runs.plan import write_commands, write_plan
from ldrld_runs.study import load_study, plan_study, queue
from ldrld_runs.study_report import write_study


def parser(prog="study.py", doc=__doc__, studies_required=True):
    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("studies", nargs="+" if studies_required else "*", metavar="STUDY", help="study config file(s)")
    p.add_argument("--out", default=os.path.join("outputs", "studies"), help="output folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="the study's quick part: tiny sizes, one epoch (the tests')")
    p.add_argument("--seeds", nargs="+", type=int, help="the rows' seeds (default: each study's own)")
    p.add_argument("--max-parallel", type=int, default=2, help="runs at once (default 2: one per core here)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    p.add_argument("--ablations", action="store_true", help="also the rows a study marks as ablations")
    p.add_argument("--resume", action="store_true", help="keep the runs an earlier call finished in --out")
    return p


def run_studies(args):
    import torch

    if args.seeds is not None and len(args.seeds) < 2 and not args.quick:
        raise InputError(f"--seeds {args.seeds}: a mean ± std needs at least two seeds")
    if args.max_parallel < 1 or args.threads < 1:
        raise InputError("--max-parallel and --threads must be at least 1")
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"--out {args.out} exists and is not a folder")
    studies = [load_study(path, args.quick) for path in args.studies]
    names = [s["name"] for s in studies]
    if len(set(names)) != len(names):
        raise InputError(f"studies {args.studies}: two are named alike ({names}), so they would share a folder")
    began = time.time()
    for study in studies:  # a study starts afresh unless resumed: no earlier run's logs mix in
        if not args.resume:
            shutil.rmtree(os.path.join(out, study["name"]), ignore_errors=True)
    plans = [plan_study(s, out, args.seeds, args.ablations) for s in studies]
    for plan in plans:  # each study's runs as a sweep: `python tools/report.py OUT/<name>/runs` reads them
        write_plan(plan.runs, os.path.join(plan.folder, "runs"))
    every = queue(plans)
    write_commands(every)
    device = torch.cuda.device_count()
    print(
        f"{len(every)} runs of {', '.join(names)} ({'quick' if args.quick else 'full'}): {args.max_parallel} at a "
        f"time on {f'{device} GPU(s)' if device else f'the CPU, {args.threads} thread(s) each'}; output in {out}",
        flush=True,
    )
    gpus = [k % device for k in range(args.max_parallel)] if device else ()
    _, failed, _ = execute(
        every,
        "local",
        os.path.join(out, ".submitit"),
        args.max_parallel,
        gpus_per_run=1 if device else 0,
        gpus=gpus,
        threads=args.threads,
    )
    failed_names = {r.name for r in failed}
    for run in failed:  # named here and in the tables; the rows keep the seeds that finished
        print(f"FAILED {run.name} (log: {run.log})", flush=True)
    summary = {}
    for plan in plans:
        text, summary[plan.study["name"]] = write_study(plan, failed_names)
        print("\n" + text + "\n", flush=True)
    print(f"[{time.time() - began:7.1f} s] tables and pictures in {out}/<study>/; commands in its runs/", flush=True)
    print(json.dumps(summary, sort_keys=True), flush=True)
    if failed:
        print(f"{len(failed)} run(s) failed (named above and in the tables)", file=sys.stderr, flush=True)
        return 1
    return 0


@cli_boundary("study.py")
def main(argv=None):
    return run_studies(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
