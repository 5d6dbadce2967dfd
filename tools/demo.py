"""The toolkit end to end on generated toy data, on a CPU, without downloading anything.

    python tools/demo.py                       # all three tasks (what `make demo` runs)
    python tools/demo.py --task cls --out outputs/demo
    python tools/demo.py --quick               # tiny sizes (the test suite's run)

For each task (cls: CIFAR-100 format, ResNet-56 -> ResNet-20; det: COCO format,
Faster R-CNN R-18 FPN trained 5x longer (caffe-style input) -> R-18 FPN; reid: Market-1501 format,
torchreid ResNet-18 trained 5x longer -> ResNet-18) it writes a toy data set with the project's
generators, trains a teacher, then the same student alone, with KD, with DKD
and with LDRLD from that teacher, through the project's own training tools
(tools/train_cls.py, tools/train_det.py, tools/train_reid.py). It prints and
writes one comparison table per task (OUT/<task>/table.{md,csv,json}), the
Figure 5 correlation maps of the KD and LDRLD students (OUT/<task>/corr.png,
tools/plot_corr.py) and the LDRLD student's training curves
(OUT/<task>/curves_ldrld.png, tools/plot_curves.py). Each stage's output goes
to OUT/<task>/logs/<stage>.log. The last line printed is one JSON object with
every model's metrics.
"""
import argparse
import contextlib
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
CONFIGS = os.path.join(ROOT, "configs")
TASKS = ("cls", "det", "reid")
STAGES = ("teacher", "student", "kd", "dkd", "ldrld")
COLUMN = {"teacher": "Teacher", "student": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}
METRICS = {"cls": ("top1",), "det": ("AP", "AP50", "AP75"), "reid": ("rank1", "mAP")}
METRIC_NAME = {"top1": "top-1 (%)", "AP": "AP", "AP50": "AP50", "AP75": "AP75", "rank1": "rank-1 (%)",
               "mAP": "mAP (%)"}

# Sizes. Quick: the test suite's run (well under a minute of training per task on 2 cores).
SETTINGS = {
    "cls": {
        "quick": dict(classes=10, train_per_class=8, val_per_class=4, batch=16, teacher_epochs=2,
                      student_epochs=1, teacher="resnet56", student="resnet20"),
        "full": dict(classes=20, train_per_class=20, val_per_class=5, batch=32, teacher_epochs=12,
                     student_epochs=4, teacher="resnet56", student="resnet20"),
    },
    "det": {  # quick: no DKD row (detection is the slowest task)
        "quick": dict(train=4, val=2, teacher_depth=18, teacher_epochs=1, student_epochs=1, rois=128,
                      proposals=32, dkd=False, teacher_val_interval=1),
        "full": dict(train=16, val=8, teacher_depth=18, teacher_epochs=20, student_epochs=4, rois=128,
                     proposals=64, dkd=True, teacher_val_interval=5),
    },
    "reid": {  # the teacher: the student's architecture trained 5x longer (ResNet-50 from scratch on
        # a few hundred toy images ends up worse than a ResNet-18)
        "quick": dict(train_ids=8, test_ids=6, per_id=6, gallery=3, size=(64, 32), batch=16, teacher_epochs=1,
                      student_epochs=1, teacher="resnet18", student="resnet18"),
        "full": dict(train_ids=24, test_ids=16, per_id=8, gallery=4, size=(96, 48), batch=16, teacher_epochs=10,
                     student_epochs=2, teacher="resnet18", student="resnet18"),
    },
}


class DemoError(Exception):
    """A failed stage or bad input: one line, no traceback."""


# ---------------------------------------------------------------- output ----
class Progress:
    def __init__(self, t0, stream):
        self.t0, self.stream = t0, stream

    def line(self, text):
        self.stream.write(f"[{time.time() - self.t0:7.1f} s] {text}\n")
        self.stream.flush()


@contextlib.contextmanager
def captured(path):
    """Send everything written to fd 1 and 2 (Python and C alike) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _tail(path, lines=1):
    try:
        with open(path, errors="replace") as f:
            text = [line.rstrip() for line in f if line.strip()]
    except OSError:
        return ""
    return " | ".join(text[-lines:])


class Task:
    """One task's folder, settings and stage runner (inside the worker process)."""

    def __init__(self, name, out, quick, progress):
        self.name, self.quick, self.progress = name, quick, progress
        self.s = SETTINGS[name]["quick" if quick else "full"]
        self.dir = os.path.join(out, name)
        for sub in ("data", "configs", "work", "logs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def fresh(self, *parts):
        """``work/<parts>``, emptied: a re-run into the same --out never mixes in an older run's logs."""
        path = self.path("work", *parts)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def stage(self, stage, what, call):
        """Run ``call()`` (a tool's main) with its output in logs/<stage>.log; exit status 0 or an error."""
        log = self.path("logs", f"{stage}.log")
        self.progress.line(f"{self.name}: {stage:<8} {what} ...")
        began = time.time()
        try:
            with captured(log):
                status = call()
        except SystemExit as exc:  # the detection tools exit(2) on bad input
            status = exc.code
        except Exception as exc:  # noqa: BLE001  (reported as one line; the traceback is in the log)
            import traceback
            with open(log, "a") as f:
                traceback.print_exc(file=f)
            raise DemoError(f"{self.name} {stage} failed: {type(exc).__name__}: {exc} (log: {log})") from None
        if isinstance(status, int) and status != 0:  # train_det's main returns its Runner
            raise DemoError(f"{self.name} {stage} failed with exit status {status}: {_tail(log)} (log: {log})")
        self.progress.line(f"{self.name}: {stage:<8} done in {time.time() - began:.1f} s")
        return log


def _tool(name):
    """A tool's module (tools/<name>.py), imported once."""
    import importlib.util
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _write_config(path, bases, body):
    with open(path, "w") as f:
        f.write(f"_base_ = {[os.path.join(CONFIGS, b) for b in bases]!r}\n{body}\n")
    return path


def _last_checkpoint(work_dir):
    marker = os.path.join(work_dir, "last_checkpoint")
    if not os.path.isfile(marker):
        raise DemoError(f"no checkpoint written in {work_dir}")
    with open(marker) as f:
        path = f.read().strip()
    return path if os.path.isabs(path) else os.path.join(work_dir, os.path.basename(path))


# ---------------------------------------------------------------- cls -------
def run_cls(task):
    from ldrld_cls.toy_data import make_toy_dataset
    s = task.s
    data = make_toy_dataset("cifar100", task.path("data"), seed=0, active_classes=s["classes"],
                            train_per_class=s["train_per_class"], val_per_class=s["val_per_class"])
    task.progress.line(f"cls: data     toy CIFAR-100: {s['classes']} classes x {s['train_per_class']} train / "
                       f"{s['val_per_class']} val images (32x32) in {data}")
    train_cls = _tool("train_cls")

    def config(stage, base, epochs, extra=""):
        milestone = max(1, int(round(0.75 * epochs)))
        body = f"""
train_dataloader = dict(batch_size={s['batch']}, num_workers=0, persistent_workers=False, pin_memory=False)
val_dataloader = dict(batch_size=100, num_workers=0, persistent_workers=False, pin_memory=False)
train_cfg = dict(max_epochs={epochs}, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, begin=0, end={epochs}, milestones=[{milestone}],
                        gamma=0.1)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=1, save_best=None))
log_processor = dict(window_size=1)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
{extra}"""
        return _write_config(task.path("configs", f"{stage}.py"), [base], body)

    t, st = s["teacher"], s["student"]
    configs = {
        "teacher": config("teacher", f"cls/cifar100/vanilla/{t}.py", s["teacher_epochs"]),
        "student": config("student", f"cls/cifar100/vanilla/{st}.py", s["student_epochs"]),
        "kd": config("kd", f"cls/cifar100/{t}_{st}_kd.py", s["student_epochs"]),
        "dkd": config("dkd", f"cls/cifar100/{t}_{st}_dkd.py", s["student_epochs"],
                      "model = dict(distill_loss=dict(warmup=1))"),
        "ldrld": config("ldrld", f"cls/cifar100/{t}_{st}_ldrld.py", s["student_epochs"]),
    }
    checkpoints, metrics = {}, {}
    for stage in STAGES:
        work = task.fresh(stage)
        argv = [configs[stage], "--data-root", data, "--work-dir", work]
        epochs = s["teacher_epochs"] if stage == "teacher" else s["student_epochs"]
        arch = t if stage == "teacher" else st
        if stage not in ("teacher", "student"):
            argv += ["--teacher-checkpoint", checkpoints["teacher"]]
        task.stage(stage, f"{arch}, {epochs} epoch(s)", lambda: train_cls.main(argv))
        checkpoints[stage] = _last_checkpoint(work)
        with open(os.path.join(work, "accuracy.json")) as f:
            metrics[stage] = {"top1": float(json.load(f)["last"]["top1"])}
        task.progress.line(f"cls: {stage:<8} top-1 {metrics[stage]['top1']:.2f}")
    corr = dict(task="cls", teacher_config=configs["teacher"], config=configs["student"],
                data_root=data, classes="present")
    archs = {"teacher": t, "student": st}
    return metrics, checkpoints, corr, archs, f"toy CIFAR-100 ({s['classes']} classes)"


# ---------------------------------------------------------------- det -------
DET_SMALL = """
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=10, norm_type=2))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=1))
log_processor = dict(window_size=1)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
"""


# The packaged backbones expect ImageNet weights: frozen stem and first stage, BN
# in eval mode (the caffe teacher's BN not even trainable). Without any
# download the demo trains them from scratch, so everything trains.
SCRATCH = "frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)"


HEAD_CHANNELS = 128  # FPN / RPN / RoI feature width (packaged: 256); the box head gets twice it (packaged: 1024)


def det_model(rois, neck_in=None):
    """The toy-scale part of a generated config's one ``model`` dict (a second
    ``model = ...`` in the same file would replace the first, not merge): heads
    at ``HEAD_CHANNELS`` (toy images hold 1 to 3 objects, and it halves the time
    per iteration), ``rois`` sampled RoIs per image; test: 200 -> 100 RPN
    proposals per image instead of 1000 and every box scored (score_thr 0)."""
    c = HEAD_CHANNELS
    neck = f"in_channels={neck_in}, out_channels={c}" if neck_in else f"out_channels={c}"
    return (f"neck=dict({neck}), rpn_head=dict(in_channels={c}, feat_channels={c}),\n"
            f"             roi_head=dict(bbox_roi_extractor=dict(out_channels={c}), "
            f"bbox_head=dict(in_channels={c}, fc_out_channels={2 * c})),\n"
            f"             test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=100), rcnn=dict(score_thr=0.0)),\n"
            f"             train_cfg=dict(rcnn=dict(sampler=dict(num={rois}))))")


def run_det(task):
    from ldrld_core.run_logs import read_scalars
    from ldrld_det.toy_data import TOY_PIPELINES, make_toy_coco
    s = task.s
    data = make_toy_coco(task.path("data"), num_train=s["train"], num_val=s["val"])
    task.progress.line(f"det: data     toy COCO: {s['train']} train / {s['val']} val images (160x128) in {data}")
    train_det = _tool("train_det")

    def schedule(epochs, val_interval=1):
        milestone = max(1, int(round(0.75 * epochs)))
        return (f"train_cfg = dict(max_epochs={epochs}, val_interval={val_interval})\n"
                f"param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),\n"
                f"    dict(type='MultiStepLR', by_epoch=True, begin=0, end={epochs}, milestones=[{milestone}], "
                f"gamma=0.1)]\n")

    depth = s["teacher_depth"]
    channels = [64, 128, 256, 512] if depth in (18, 34) else [256, 512, 1024, 2048]
    teacher_cfg = _write_config(task.path("configs", "teacher.py"), ["frcnn_r101_teacher.py"], TOY_PIPELINES + DET_SMALL + f"""
model = dict(backbone=dict(depth={depth}, init_cfg=None, {SCRATCH}),
             {det_model(s['rois'], channels)}
# the 3x schedule wraps its data set in RepeatDataset(times=3): once here
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
""" + schedule(s["teacher_epochs"], s["teacher_val_interval"]))

    def student_cfg(stage, base, model_extra=""):
        distil = (f"teacher_config={teacher_cfg!r}, teacher_checkpoint=None, " if stage != "student" else "")
        return _write_config(task.path("configs", f"{stage}.py"), [base], TOY_PIPELINES + DET_SMALL + f"""
model = dict({distil}{model_extra}backbone=dict(init_cfg=None, {SCRATCH}),
             {det_model(s['rois'])}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
""" + schedule(s["student_epochs"]))

    iters = max(1, s["train"] // 2)
    configs = {
        "teacher": teacher_cfg,
        "student": student_cfg("student", "frcnn_r18_fpn_1x_coco.py"),
        "kd": student_cfg("kd", "frcnn_r101_r18_kd.py"),
        "dkd": student_cfg("dkd", "frcnn_r101_r18_dkd.py", f"distill_loss=dict(warmup={iters}), "),
        "ldrld": student_cfg("ldrld", "frcnn_r101_r18_ldrld.py"),
    }
    checkpoints, metrics = {}, {}
    for stage in STAGES:
        if stage == "dkd" and not s["dkd"]:
            continue
        work = task.fresh(stage)
        argv = [configs[stage], "--data-root", data, "--work-dir", work]
        if stage not in ("teacher", "student"):
            argv += ["--teacher-checkpoint", checkpoints["teacher"]]
        epochs = s["teacher_epochs"] if stage == "teacher" else s["student_epochs"]
        arch = f"R-{depth} (caffe)" if stage == "teacher" else "R-18"
        task.stage(stage, f"Faster R-CNN {arch} FPN, {epochs} epoch(s)", lambda: train_det.main(argv))
        checkpoints[stage] = _last_checkpoint(work)
        val = [r for r in read_scalars(work) if "coco/bbox_mAP" in r]
        if not val:
            raise DemoError(f"det {stage}: no COCO metrics logged in {work}")
        last = val[-1]
        metrics[stage] = {"AP": 100 * last["coco/bbox_mAP"], "AP50": 100 * last["coco/bbox_mAP_50"],
                          "AP75": 100 * last["coco/bbox_mAP_75"]}
        task.progress.line(f"det: {stage:<8} AP {metrics[stage]['AP']:.2f}  AP50 {metrics[stage]['AP50']:.2f}  "
                           f"AP75 {metrics[stage]['AP75']:.2f}")
    corr = dict(task="det", teacher_config=teacher_cfg, config=configs["ldrld"], data_root=data,
                classes="all", proposals=s["proposals"])
    archs = {"teacher": f"Faster R-CNN R-{depth}", "student": "Faster R-CNN R-18"}
    return metrics, checkpoints, corr, archs, f"toy COCO ({s['train']} train / {s['val']} val images)"


# ---------------------------------------------------------------- reid ------
def run_reid(task):
    from ldrld_reid.toy_data import make_toy_market1501
    s = task.s
    make_toy_market1501(task.path("data"), seed=0, num_train_ids=s["train_ids"], num_test_ids=s["test_ids"],
                        train_images_per_id=s["per_id"], gallery_images_per_id=s["gallery"],
                        num_distractors=s["test_ids"])
    data = task.path("data")
    h, w = s["size"]
    task.progress.line(f"reid: data    toy Market-1501: {s['train_ids']} train ids x {s['per_id']} images, "
                       f"{s['test_ids']} test ids x {s['gallery']} gallery images, input {h}x{w}, in {data}")
    config = task.path("configs", "reid.yaml")
    with open(config, "w") as f:
        f.write(f"""# the demo's Re-ID recipe: toy scale, no ImageNet weights (nothing downloads)
data: {{root: {json.dumps(data)}, height: {h}, width: {w}, batch_size_train: {s['batch']}, batch_size_test: 64,
       workers: 0}}
model: {{teacher: {s['teacher']}, student: {s['student']}, pretrained: false}}
train: {{lr: 0.001, max_epoch: {s['student_epochs']}, fixbase_epoch: 0, stepsize: [{max(1, s['student_epochs'])}],
        print_freq: 1, seed: 1}}
distill: {{dkd: {{alpha: 1.0, beta: 8.0, temperature: 4.0, warmup: 1}}}}
run: {{save_dir: {json.dumps(task.path('work'))}, device: cpu}}
""")
    train_reid = _tool("train_reid")
    teacher = task.path("work", "teacher", "model.pth")
    checkpoints, metrics = {}, {}
    loss_of = {"student": "none", "kd": "kd", "dkd": "dkd", "ldrld": "ldrld"}
    for stage in STAGES:
        if stage == "teacher":
            argv = ["--config", config, "--mode", "teacher", "--max-epoch", str(s["teacher_epochs"])]
            folder, result = "teacher", "teacher"
        else:
            argv = ["--config", config, "--mode", "student", "--loss", loss_of[stage], "--teacher-checkpoint",
                    teacher]
            folder = result = f"student_{loss_of[stage]}"
        task.fresh(folder)
        for stale in (task.path("work", f"results_{result}.json"),):
            if os.path.exists(stale):
                os.remove(stale)
        epochs = s["teacher_epochs"] if stage == "teacher" else s["student_epochs"]
        arch = s["teacher"] if stage == "teacher" else s["student"]
        log = task.stage(stage, f"{arch}, {epochs} epoch(s)", lambda: train_reid.main(argv))
        # keep what the run printed beside its checkpoints: tools/plot_curves.py reads it there
        shutil.copyfile(log, task.path("work", folder, "train.log"))
        checkpoints[stage] = task.path("work", folder, "model.pth")
        with open(task.path("work", f"results_{result}.json")) as f:
            record = json.load(f)
        metrics[stage] = {"rank1": 100 * record["rank1"], "mAP": 100 * record["mAP"]}
        task.progress.line(f"reid: {stage:<8} rank-1 {metrics[stage]['rank1']:.2f}  mAP {metrics[stage]['mAP']:.2f}")
    corr = dict(task="reid", teacher_config=None, config=config, data_root=data, classes="all")
    archs = {"teacher": s["teacher"], "student": s["student"]}
    return metrics, checkpoints, corr, archs, f"toy Market-1501 ({s['train_ids']} training identities)"


RUNNERS = {"cls": run_cls, "det": run_det, "reid": run_reid}


# ---------------------------------------------------------------- tables ----
def fmt(value):
    return f"{value:.2f}"


def write_tables(task_dir, name, metrics, archs, data, corr_gap):
    stages = [s for s in STAGES if s in metrics]
    header = ["metric"] + [COLUMN[s] for s in stages]
    rows = [[METRIC_NAME[m]] + [fmt(metrics[s][m]) for s in stages] for m in METRICS[name]]
    if corr_gap:
        rows.append(["corr. gap (Fig. 5)"] + [f"{corr_gap[s]:.4f}" if s in corr_gap else "" for s in stages])
    md = [f"**{name}** on {data}: teacher {archs['teacher']}, student {archs['student']}", "",
          "| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    md += ["| " + " | ".join(row) + " |" for row in rows]
    with open(os.path.join(task_dir, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(task_dir, "table.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    with open(os.path.join(task_dir, "table.json"), "w") as f:
        json.dump({"task": name, "data": data, "teacher": archs["teacher"], "student": archs["student"],
                   "columns": stages, "metrics": metrics, "corr_gap": corr_gap}, f, indent=2)
    return "\n".join(md)


# ---------------------------------------------------------------- worker ----
def worker(name, out, quick, t0):
    progress = Progress(t0, sys.stdout)
    task = Task(name, out, quick, progress)
    metrics, checkpoints, corr, archs, data = RUNNERS[name](task)

    plot_corr = _tool("plot_corr")
    argv = ["--task", corr["task"], "--teacher", checkpoints["teacher"],
            "--student", checkpoints["kd"], checkpoints["ldrld"], "--labels", "KD", "LDRLD",
            "--config", corr["config"], "--data-root", corr["data_root"], "--classes", corr["classes"],
            "--out", task.path("corr.png")]
    if corr.get("teacher_config"):
        argv += ["--teacher-config", corr["teacher_config"]]
    if corr.get("proposals"):
        argv += ["--proposals", str(corr["proposals"])]
    gaps = {}

    def draw_corr():
        gaps.update(plot_corr.plot_corr(plot_corr.parse_args(argv)))
    task.stage("corr", "Figure 5 maps of the KD and LDRLD students (tools/plot_corr.py)", draw_corr)
    corr_gap = {"kd": gaps["KD"], "ldrld": gaps["LDRLD"]}
    progress.line(f"{name}: corr     mean |corr(teacher) - corr(student)|: KD {gaps['KD']:.4f}, "
                  f"LDRLD {gaps['LDRLD']:.4f} -> {task.path('corr.png')}")

    plot_curves = _tool("plot_curves")
    runs = {"ldrld": task.path("work", "ldrld") if name != "reid" else task.path("work", "student_ldrld")}

    def draw_curves():
        plot_curves.plot_curves(runs["ldrld"], task.path("curves_ldrld.png"), f"{name}: LDRLD student")
    task.stage("curves", "training curves of the LDRLD student (tools/plot_curves.py)", draw_curves)
    table = write_tables(task.dir, name, metrics, archs, data, corr_gap)
    summary = {"metrics": metrics, "corr_gap": corr_gap}
    with open(task.path("summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("\n" + table + "\n", flush=True)
    return 0


# ---------------------------------------------------------------- main ------
def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="demo.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=TASKS + ("all",), default="all")
    p.add_argument("--out", default=os.path.join("outputs", "demo"), help="output folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: the test suite's run")
    p.add_argument("--threads", type=int, help="CPU threads per process (default: torch's choice; 1 is faster "
                                               "on a machine busy with other jobs)")
    p.add_argument("--worker", choices=TASKS, help=argparse.SUPPRESS)  # one task, in a fresh process
    p.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _finite(summary):
    values = [v for stage in summary["metrics"].values() for v in stage.values()]
    values += list(summary["corr_gap"].values())
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def main(argv=None):
    args = parse_args(argv)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        print(f"demo.py: error: --out {args.out} exists and is not a folder", file=sys.stderr)
        return 2
    if args.threads is not None and args.threads < 1:
        print(f"demo.py: error: --threads must be at least 1, got {args.threads}", file=sys.stderr)
        return 2
    if args.worker:
        if args.threads:
            import torch
            torch.set_num_threads(args.threads)
        sys.path.insert(0, ROOT)
        os.chdir(ROOT)
        try:
            return worker(args.worker, out, args.quick, args.t0 or time.time())
        except DemoError as err:
            print(f"demo.py: error: {err}", file=sys.stderr)
            return 1
    t0 = time.time()
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        print(f"demo.py: error: --out {args.out}: {err.strerror}", file=sys.stderr)
        return 2
    tasks = TASKS if args.task == "all" else (args.task,)
    mode = "quick" if args.quick else "full"
    print(f"LDRLD demo ({mode}): {', '.join(tasks)} on generated toy data, CPU; output in {out}", flush=True)
    results = {}
    for name in tasks:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--out", out, "--t0", repr(t0)]
        if args.quick:
            cmd.append("--quick")
        env = dict(os.environ)
        if args.threads:
            cmd += ["--threads", str(args.threads)]
            env["OMP_NUM_THREADS"] = str(args.threads)
        status = subprocess.call(cmd, cwd=ROOT, env=env)
        if status != 0:
            print(f"demo.py: error: the {name} demo failed (exit status {status}); see {os.path.join(out, name)}",
                  file=sys.stderr)
            return 1
        with open(os.path.join(out, name, "summary.json")) as f:
            results[name] = json.load(f)
        if not _finite(results[name]):
            print(f"demo.py: error: the {name} demo gave a non-finite metric: {results[name]}", file=sys.stderr)
            return 1
    print(f"demo finished in {time.time() - t0:.0f} s; tables: {out}/<task>/table.md|csv|json, pictures: "
          f"{out}/<task>/corr.png, curves_ldrld.png", flush=True)
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
