"""A study: rows of runs written as data, planned through the sweep machinery (``plan.build_plan``),
run in one queue (``execute.execute``) and read back from what the runs wrote (``study_report``).

A study is an MMEngine config (``configs/studies/*.py``; the keys are described in docs/sweeps.md):

    name, title   the output folder under --out (and the summary's key), the tables' heading
    data          {folder: kind}: ``tools/make_toy_data.py KIND --out OUT/<name>/data/<folder> --size SIZE``
    size          make_toy_data's --size (``demo``; the ``quick`` part may set ``quick``)
    seeds         every row's seeds, unless the row has its own (--seeds replaces them)
    metrics       ``[(score, label)]`` of ``results.SCORES``; the first one is paired by seed
    history       a score whose evaluations before the last get lines of their own (or None)
    options       ``--cfg-options`` given to every row
    rows          ``{row: dict(label, config, data_root, seeds, teacher, point, options, args, init, ablation)}``
    tables        ``[dict(rows, paired, key, text)]``: the first is the study's main table
    ablations     ``dict(rows, against, seeds, text)``: the rows marked ``ablation``, run with --ablations only
    pictures      ``dict(corr=dict(teacher, students, args), curves=ROW)``
    priority      where its rows go in a queue shared with other studies (smaller first)
    quick         merged into the study under --quick (the test suite's sizes)

A row's ``teacher`` (a row of one run) gives its runs ``--teacher-checkpoint`` as that run's work dir,
``init`` (``{config key: row}``) gives ``KEY=<work dir>``: the tools load the checkpoint the run
wrote last (``ldrld_core.checkpoint.run_checkpoint``), and the run waits for them.
"""

import os
import sys
from dataclasses import dataclass, field

from ldrld_core.errors import ConfigError, InputError

from .plan import ROOT, Run, build_plan, point_name

STUDY_KEYS = {
    "name",
    "title",
    "data",
    "size",
    "seeds",
    "metrics",
    "history",
    "options",
    "rows",
    "tables",
    "ablations",
    "pictures",
    "priority",
    "quick",
}
ROW_KEYS = {"label", "config", "data_root", "seeds", "teacher", "point", "options", "args", "init", "ablation"}
TOOLS = os.path.join(ROOT, "tools")


def _merge(base, update):
    """Nested dicts merged key by key; anything else in ``update`` replaces what ``base`` has."""
    out = dict(base)
    for key, value in update.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_study(path, quick=False) -> dict:
    """The study file as plain data (its ``quick`` part merged in when ``quick``), every key checked."""
    if not os.path.isfile(path):
        raise InputError(f"study {path}: no such file; expected a study config such as configs/studies/demo_cls.py")
    from mmengine.config import Config

    try:
        study = Config.fromfile(path).to_dict()
    except Exception as err:  # noqa: BLE001
        raise ConfigError(f"study {path} could not be read: {type(err).__name__}: {err}") from None
    quick_part = study.pop("quick", None) or {}
    study = _merge(study, quick_part) if quick else study
    study["path"] = os.path.abspath(path)
    check_study(study)
    return study


def _fail(study, what):
    raise ConfigError(f"study {study['path']}: {what}")


def check_study(study) -> None:
    """One sentence for the first thing a study file gets wrong, before anything runs."""
    unknown = sorted(k for k in set(study) - STUDY_KEYS - {"path"} if not k.startswith("_"))  # _x: the file's own
    if unknown:
        _fail(study, f"unknown key {unknown[0]!r}; a study has {', '.join(sorted(STUDY_KEYS))}")
    for key in ("name", "title", "rows", "metrics", "tables"):
        if not study.get(key):
            _fail(study, f"no {key!r}; every study names it (see docs/sweeps.md)")
    rows = study["rows"]
    for name, row in rows.items():
        if not isinstance(row, dict) or not row.get("config") or not row.get("label"):
            _fail(study, f"row {name!r} needs at least label= and config=")
        extra = sorted(set(row) - ROW_KEYS)
        if extra:
            _fail(study, f"row {name!r} has unknown key {extra[0]!r}; a row has {', '.join(sorted(ROW_KEYS))}")
        if not os.path.isfile(row["config"]):
            _fail(study, f"row {name!r}: config {row['config']} does not exist")
        needs = [row["teacher"]] if row.get("teacher") else []
        for other in needs + list((row.get("init") or {}).values()):
            if other not in rows:
                _fail(study, f"row {name!r} needs row {other!r}, which the study does not have")
            if len(rows[other].get("seeds") or [0, 1]) != 1:
                _fail(
                    study, f"row {name!r} takes its checkpoint from row {other!r}: give {other!r} seeds=[0] (one run)"
                )
    named = [(t.get("key", "main"), r) for t in study["tables"] for r in t["rows"]]
    named += [(f"pictures.{k}", r) for k, v in (study.get("pictures") or {}).items() for r in _picture_rows(v)]
    abl = study.get("ablations") or {}
    named += [("ablations", r) for r in abl.get("rows", ())]
    if abl:
        named.append(("ablations.against", abl.get("against")))
    named += [
        (f"{t.get('key', 'main')}.paired", r) for t in study["tables"] for pair in t.get("paired", ()) for r in pair
    ]
    for where, row in named:
        if row not in rows:
            _fail(study, f"{where} names row {row!r}; the study's rows are {', '.join(rows)}")
    keys = [t.get("key") for t in study["tables"][1:]]
    if None in keys or len(set(keys)) != len(keys):
        _fail(study, "every table after the first needs a key= of its own (the name of its part of table.json)")


def _picture_rows(spec):
    if isinstance(spec, str):
        return [spec]
    return [spec["teacher"], *spec["students"]]


@dataclass
class StudyPlan:
    study: dict
    folder: str  # OUT/<name>
    seeds: list
    rows: dict = field(default_factory=dict)  # row -> [Run], in the study's order
    data: list = field(default_factory=list)  # the runs of tools/make_toy_data.py
    pictures: list = field(default_factory=list)  # the runs of plot_corr.py and plot_curves.py

    @property
    def runs(self):
        """The training runs (what OUT/<name>/runs/sweep.json lists)."""
        return [r for runs in self.rows.values() for r in runs]


def _job(plan, name, work_dir, command, after=()):
    return Run(
        task="tool",
        config="",
        seed=0,
        has_teacher=False,
        name=f"{plan.study['name']}/{name}",
        work_dir=work_dir,
        command=command,
        after=list(after),
    )


def _ordered(rows):
    """Row names with the rows each needs (its teacher, its init) before it."""
    done = []

    def visit(name, path=()):
        if name in done:
            return
        if name in path:
            raise ConfigError(f"rows {' -> '.join(path + (name,))} need each other in a circle")
        row = rows[name]
        for other in ([row["teacher"]] if row.get("teacher") else []) + list((row.get("init") or {}).values()):
            visit(other, path + (name,))
        done.append(name)

    for name in rows:
        visit(name)
    return done


def plan_study(study, out, seeds=None, ablations=False) -> StudyPlan:
    """Every run of the study: the data, each row's runs over its seeds, the pictures."""
    folder = os.path.join(os.path.abspath(out), study["name"])
    plan = StudyPlan(study, folder, list(seeds or study.get("seeds") or [0, 1, 2]))
    size = study.get("size", "demo")
    for sub, kind in (study.get("data") or {}).items():
        command = [sys.executable, os.path.join(TOOLS, "make_toy_data.py"), kind]
        command += ["--out", os.path.join(folder, "data", sub), "--size", size]
        plan.data.append(_job(plan, f"data/{sub}", os.path.join(folder, "jobs", f"data_{sub}"), command))
    abl, used = study.get("ablations") or {}, set()
    planned = {}
    for name in _ordered(study["rows"]):
        row = study["rows"][name]
        if row.get("ablation") and not ablations:
            continue
        row_seeds = row.get("seeds") or plan.seeds
        if row.get("ablation"):
            row_seeds = plan.seeds[: abl.get("seeds", 2)]
        options = list(study.get("options") or []) + list(row.get("options") or [])
        after = [r.name for r in plan.data]
        for key, other in (row.get("init") or {}).items():
            options.append(f"{key}={planned[other][0].work_dir}")
            after.append(planned[other][0].name)
        teacher = None
        if row.get("teacher"):
            teacher = planned[row["teacher"]][0]
            after.append(teacher.name)
        point = {k: str(v) for k, v in (row.get("point") or {}).items()}
        place = (
            row["config"],
            point_name(point),
        )  # two rows of one config and point: the second in a folder of its own
        runs_dir = os.path.join(folder, "runs") if place not in used else os.path.join(folder, "runs", name)
        used.add(place)
        data_root = row.get("data_root")
        data_root = (
            data_root if data_root is None or os.path.isabs(data_root) else os.path.join(folder, "data", data_root)
        )
        extra = list(row.get("args") or []) + (["--cfg-options", *options] if options else [])
        runs = build_plan(
            [row["config"]],
            row_seeds,
            [(k, [v]) for k, v in point.items()],
            runs_dir,
            data_root,
            teacher.work_dir if teacher else None,
            extra,
        )
        for run in runs:
            run.name = f"{study['name']}/{os.path.relpath(run.work_dir, os.path.join(folder, 'runs'))}"
            run.row, run.after = name, list(after)
        planned[name] = runs
    plan.rows = {name: planned[name] for name in study["rows"] if name in planned}
    plan.pictures = picture_jobs(plan)
    return plan


def picture_jobs(plan):
    """plot_corr.py on the teacher and the students of every seed (drawn: the first panels), and
    plot_curves.py on the first run of a row; each after the runs it reads."""
    pictures, jobs = plan.study.get("pictures") or {}, []
    corr = pictures.get("corr")
    if corr:
        teacher = plan.rows[corr["teacher"]][0]
        students = [run for runs in zip(*(plan.rows[s] for s in corr["students"])) for run in runs]
        labels = [f"{plan.study['rows'][r.row]['label']} seed {r.seed}" for r in students]
        data_root = _option(students[0].command, "--data-root")
        command = [sys.executable, os.path.join(TOOLS, "plot_corr.py"), "--task", teacher.task]
        command += ["--teacher", teacher.work_dir, "--student", *[r.work_dir for r in students], "--labels", *labels]
        command += ["--teacher-config", teacher.config, "--config", students[-1].config]
        command += (["--data-root", data_root] if data_root else []) + list(corr.get("args") or [])
        command += ["--out", os.path.join(plan.folder, "corr.png")]
        after = [teacher.name] + [r.name for r in students]
        jobs.append(_job(plan, "pictures/corr", os.path.join(plan.folder, "pictures", "corr"), command, after))
    row = pictures.get("curves")
    if row:
        first = plan.rows[row][0]
        title = f"{plan.study['name']}: {plan.study['rows'][row]['label']} student, seed {first.seed}"
        command = [sys.executable, os.path.join(TOOLS, "plot_curves.py"), first.work_dir]
        command += ["--out", os.path.join(plan.folder, f"curves_{row}.png"), "--title", title]
        jobs.append(
            _job(plan, "pictures/curves", os.path.join(plan.folder, "pictures", "curves"), command, [first.name])
        )
    return jobs


def _option(command, flag):
    return command[command.index(flag) + 1] if flag in command else None


def queue(plans):
    """Every run of the studies in the order the queue takes them: the data, the rows other rows
    need (teachers, pretraining), the other rows by the studies' ``priority``, their ablations, the pictures."""
    needed = {
        (p.study["name"], other)
        for p in plans
        for row in p.study["rows"].values()
        for other in ([row["teacher"]] if row.get("teacher") else []) + list((row.get("init") or {}).values())
    }

    order = {p.study["name"]: _ordered(p.study["rows"]) for p in plans}

    def key(item):
        k, (p, run) = item
        if (p.study["name"], run.row) in needed:  # what others need, in the order they need it
            return (0, order[p.study["name"]].index(run.row), k)
        return (1 + bool(p.study["rows"][run.row].get("ablation")), p.study.get("priority", 0), k)

    runs = [(p, r) for p in plans for r in p.runs]
    ordered = [r for _, (_, r) in sorted(enumerate(runs), key=key)]
    return [r for p in plans for r in p.data] + ordered + [r for p in plans for r in p.pictures]
