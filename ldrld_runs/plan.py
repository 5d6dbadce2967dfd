"""A sweep as a list of runs: every config x grid point x seed, each one ordinary
invocation of its task's own tool in a work dir named by its settings.

    OUT/sweep.json                               the plan (what tools/report.py reads)
    OUT/<config>/<point>/seed<k>/                the run's work dir (--work-dir)
    OUT/<config>/<point>/seed<k>/command.sh      the command, to re-run the row by hand
    OUT/<config>/<point>/seed<k>/sweep.log       what the tool printed
    OUT/<config>/<point>/seed<k>/done.json       written when the tool exited 0

``<point>`` is ``default`` without a grid, else ``alpha=6.0,beta=1.0`` (the last
part of each grid key). ``--teacher-checkpoint`` goes to the configs that distil
(a config that trains a network alone gets none). Every tool takes the same flags (the config,
``--work-dir``, ``--data-root``, ``--teacher-checkpoint``, ``--cfg-options randomness.seed=K ...``).
The task comes from the MMEngine config: its ``task`` key where it has one (the Re-ID configs'
``task = 'reid'``: ``tools/train_reid.py``), else a ``ClsDistiller`` model is classification
(``tools/train_cls.py``) and any other detection (``tools/train_det.py``). A config distils when it
has a ``distill_loss`` (in its model, or at its top level).
"""

import itertools
import json
import os
import shlex
import sys
from dataclasses import asdict, dataclass, field

from ldrld_core.errors import ConfigError, InputError

from .keys import check_keys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = {"cls": "train_cls.py", "det": "train_det.py", "reid": "train_reid.py"}  # a config's task -> its tool
DISTRIBUTED = {"cls", "det"}  # the tasks whose tool trains one run as several ranks (--launcher)


@dataclass
class Run:
    task: str
    config: str
    seed: int
    has_teacher: bool = True
    point: dict = field(default_factory=dict)  # grid key -> value (as typed)
    name: str = ""  # <config>/<point>/seed<k>
    work_dir: str = ""
    command: list = field(default_factory=list)
    after: list = field(default_factory=list)  # names of runs that must be done before it starts (Slurm: afterok)
    row: str = ""  # the study row it belongs to (ldrld_runs.study), if any

    @property
    def done_file(self):
        return os.path.join(self.work_dir, "done.json")

    @property
    def log(self):
        return os.path.join(self.work_dir, "sweep.log")

    def to_dict(self):
        return asdict(self)


def task_of(config, point=None):
    """``(task, has_teacher)`` of a config file with the grid point ``point`` (``{key: value}``
    overrides) applied: ``cls``, ``det`` or ``reid``, and whether it distils (a teacher checkpoint
    goes to runs that do, and they wait for the teacher's run)."""
    if not os.path.isfile(config):
        raise ConfigError(f"config {config}: no such file; expected an MMEngine config (.py)")
    from mmengine.config import Config

    try:
        cfg = Config.fromfile(config)
    except Exception as err:  # noqa: BLE001
        raise ConfigError(f"config {config} could not be read: {type(err).__name__}: {err}") from None
    if point:
        cfg.merge_from_dict(dict(point))
    model = cfg.get("model") or {}
    task = cfg.get("task") or ("cls" if model.get("type") == "ClsDistiller" else "det")
    if task not in TOOLS:
        raise ConfigError(f"config {config}: task {task!r}; a sweep runs {', '.join(sorted(TOOLS))} configs")
    return task, isinstance(model.get("distill_loss") or cfg.get("distill_loss"), dict)


def parse_grid(specs) -> list:
    """``['model.distill_loss.alpha=6.0,7.0', ...]`` -> ``[(key, ['6.0', '7.0']), ...]``."""
    grid = []
    for spec in specs or ():
        key, sep, values = spec.partition("=")
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key or not items:
            raise InputError(f"--grid {spec!r}: expected KEY=V1,V2,... e.g. model.distill_loss.alpha=6.0,7.0,9.5")
        if key in dict(grid):
            raise InputError(f"--grid {key}: given twice")
        grid.append((key, items))
    return grid


def point_name(point: dict) -> str:
    if not point:
        return "default"
    last = [k.rsplit(".", 1)[-1] for k in point]
    keys = last if len(set(last)) == len(last) else list(point)
    return ",".join(f"{k}={v}" for k, v in zip(keys, point.values())).replace("/", "_")


def config_name(config) -> str:
    return os.path.splitext(os.path.basename(config))[0]


def command(run: Run, data_root=None, teacher_checkpoint=None, extra=()) -> list:
    """The tool's command line for ``run`` (absolute paths, so it runs from anywhere)."""
    tool = [sys.executable, os.path.join(ROOT, "tools", TOOLS[run.task])]
    options = [f"{k}={v}" for k, v in run.point.items()]
    cmd = tool + [os.path.abspath(run.config), "--work-dir", run.work_dir]
    if data_root:
        cmd += ["--data-root", os.path.abspath(data_root)]
    if teacher_checkpoint and run.has_teacher:
        cmd += ["--teacher-checkpoint", os.path.abspath(teacher_checkpoint)]
    return cmd + list(extra) + ["--cfg-options", f"randomness.seed={run.seed}", *options]


def build_plan(configs, seeds, grid=(), out="sweeps", data_root=None, teacher_checkpoint=None, extra=()):
    """Every run of the sweep, in order: config, grid point, seed."""
    if not configs:
        raise InputError("no config given; expected one or more config files")
    if not seeds:
        raise InputError("--seeds: give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise InputError(f"--seeds {seeds}: a seed is given twice")
    names = [config_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise InputError(f"configs {configs}: two share the file name {names}, so their runs would share folders")
    keys = [k for k, _ in grid]
    runs = []
    for config in configs:
        task, _ = task_of(config)
        check_keys(config, task, keys, extra)  # before anything runs: a missing key would fail every run
        for values in itertools.product(*[v for _, v in grid]) if grid else [()]:
            point = dict(zip(keys, values))
            has_teacher = task_of(config, point)[1]  # a point may turn distillation off (distill_loss=None)
            for seed in seeds:
                name = os.path.join(config_name(config), point_name(point), f"seed{seed}")
                run = Run(
                    task,
                    os.path.abspath(config),
                    int(seed),
                    has_teacher,
                    point,
                    name,
                    os.path.abspath(os.path.join(out, name)),
                )
                run.command = command(run, data_root, teacher_checkpoint, extra)
                runs.append(run)
    return runs


def write_plan(runs, out):
    """``out/sweep.json`` (the runs, for tools/report.py) and every run's command.sh."""
    os.makedirs(out, exist_ok=True)
    from ldrld_core.atomic_io import atomic_write_bytes

    atomic_write_bytes(
        json.dumps({"runs": [r.to_dict() for r in runs]}, indent=2).encode(), os.path.join(out, "sweep.json")
    )
    write_commands(runs)


def write_commands(runs):
    """``command.sh`` in each run's work dir: the command that runs it, to re-run it by hand."""
    for run in runs:
        os.makedirs(run.work_dir, exist_ok=True)
        with open(os.path.join(run.work_dir, "command.sh"), "w") as f:
            f.write("#!/bin/sh\n# one run of a sweep (tools/sweep.py); re-run it by hand with:\n")
            f.write(f"cd {shlex.quote(ROOT)} && {shlex.join(run.command)}\n")


def read_plan(out) -> list:
    path = os.path.join(out, "sweep.json")
    if not os.path.isfile(path):
        raise InputError(f"{out}: no sweep.json; expected the --out folder of tools/sweep.py")
    with open(path) as f:
        return [Run(**r) for r in json.load(f)["runs"]]
