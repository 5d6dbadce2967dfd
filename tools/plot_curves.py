"""Training curves of any run as one PNG: loss terms per iteration (left) and
the validation metric per epoch (right).

    python tools/plot_curves.py work_dirs/cls/cifar100/resnet56_resnet20_ldrld --out curves.png
    python tools/plot_curves.py work_dirs/frcnn_r101_r18_ldrld --out curves.png
    python tools/plot_curves.py reid_run.log --out curves.png

Reads, under a run's folder, every ``<timestamp>/vis_data/scalars.json`` (JSON
lines, as MMEngine writes them for tools/train_cls.py and tools/train_det.py and
tools/train_reid.py writes them too; a resumed run's folders are joined in step
order): losses are the ``loss*`` keys, the metric the validation keys
(``accuracy/top1``, ``coco/bbox_mAP``, ``reid/rank1``, ...). Given a file, it
reads what tools/train_reid.py printed (``python tools/train_reid.py ... | tee
run.log``): torchreid's ``epoch: [e/E][i/N] ... loss x (avg) loss_ce ...`` lines
and its evaluations (``mAP``, ``Rank-1``).
"""

import argparse
import math
import os
import re
import sys

from ldrld_core.errors import InputError, cli_boundary
from ldrld_core.run_logs import read_scalars

WIDTH, HEIGHT, DPI = 11.0, 4.2, 100  # a 1100 x 420 PNG
PREFERRED_METRICS = ("accuracy/top1", "accuracy/top5", "coco/bbox_mAP", "coco/bbox_mAP_50", "coco/bbox_mAP_75")
PREFERRED_METRICS += ("reid/rank1", "reid/mAP")
REID_LINE = re.compile(r"epoch: \[(\d+)/(\d+)\]\[(\d+)/(\d+)\](.*)")
REID_VALUE = re.compile(r"([A-Za-z_]\w*) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?) \(")
REID_RESULT = re.compile(r"^(mAP|Rank-(\d+))\s*:\s*(-?[\d.]+)%")


def read_mmengine(folder):
    """``(losses {name: [(iter, value)]}, metrics {name: [(epoch, value)]}, x label of the metric)``."""
    records = read_scalars(folder)
    if not records:
        return None
    losses, metrics = {}, {}
    for record in records:
        if any(k.startswith("loss") for k in record):
            step = record.get("iter", record.get("step"))
            for key, value in record.items():
                if key.startswith("loss") and isinstance(value, (int, float)):
                    losses.setdefault(key, {})[step] = float(value)
        else:
            keys = [k for k in record if "/" in k and isinstance(record[k], (int, float))]
            step = record.get("step")
            for key in keys:
                metrics.setdefault(key, {})[step] = float(record[key])
    preferred = [k for k in PREFERRED_METRICS if k in metrics]
    if preferred:
        metrics = {k: metrics[k] for k in preferred}
    return (
        {k: sorted(v.items()) for k, v in losses.items()},
        {k: sorted(v.items()) for k, v in metrics.items()},
        "epoch",
    )


def read_reid_log(*paths):
    losses, metrics = {}, {}
    last_epoch, in_results = 0, False
    for line in _lines(paths):
        line = line.strip()
        match = REID_LINE.search(line)
        if match:
            epoch, _, batch, batches = (int(v) for v in match.groups()[:4])
            step = (epoch - 1) * batches + batch
            last_epoch = epoch
            for key, value in REID_VALUE.findall(match.group(5)):
                if key.startswith("loss"):
                    losses.setdefault(key, {})[step] = float(value)
            continue
        if line.startswith("** Results"):
            in_results = True
            continue
        result = REID_RESULT.match(line) if in_results else None
        if result:
            name = "mAP" if result.group(1) == "mAP" else f"rank{result.group(2)}"
            if name in ("mAP", "rank1"):
                metrics.setdefault(name, {})[last_epoch] = float(result.group(3))
    if not losses and not metrics:
        return None
    return (
        {k: sorted(v.items()) for k, v in losses.items()},
        {k: sorted(v.items()) for k, v in metrics.items()},
        "epoch (evaluations)",
    )


def _lines(paths):
    for path in paths:
        with open(path, errors="replace") as f:
            yield from f


def read_run(path):
    if os.path.isfile(path):
        found = read_reid_log(path)
        if found is None:
            raise InputError(f"{path}: no torchreid training lines ('epoch: [e/E][i/N] ... loss ...') in it")
        return found
    if not os.path.isdir(path):
        raise InputError(f"{path}: no such folder or file")
    found = read_mmengine(path)
    if found is not None:
        return found
    raise InputError(
        f"{path}: no run logs found (expected <timestamp>/vis_data/scalars.json, as tools/train_cls.py, "
        f"train_det.py and train_reid.py write them)"
    )


def plot_curves(path, out, title=None):
    """Draw the PNG; returns ``(losses, metrics)`` as read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    losses, metrics, metric_x = read_run(path)
    if not losses:
        raise InputError(f"{path}: the logs hold no loss values")
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, HEIGHT), dpi=DPI)
    for key, points in sorted(losses.items()):
        xs, ys = zip(*points)
        left.plot(xs, ys, marker="." if len(xs) < 30 else None, label=key)
    left.set_xlabel("iteration")
    left.set_ylabel("loss")
    left.set_title("training losses")
    left.legend(fontsize=8)
    for key, points in sorted(metrics.items()):
        xs, ys = zip(*points)
        right.plot(xs, ys, marker="o", label=key)
    right.set_xlabel(metric_x)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_title("validation metric" if metrics else "validation metric (none logged)")
    if metrics:
        right.legend(fontsize=8)
    fig.suptitle(title or os.path.basename(os.path.normpath(path)), fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.85, bottom=0.13, wspace=0.25)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return losses, metrics


@cli_boundary("plot_curves.py")
def main(argv=None):
    p = argparse.ArgumentParser(
        prog="plot_curves.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("run", help="a run's work/log folder, or a train_reid.py log file")
    p.add_argument("--out", help="PNG to write (default: RUN/curves.png, or RUN.png for a file)")
    p.add_argument("--title")
    args = p.parse_args(argv)
    out = args.out or (
        os.path.join(args.run, "curves.png") if os.path.isdir(args.run) else os.path.splitext(args.run)[0] + ".png"
    )
    losses, metrics = plot_curves(args.run, out, args.title)
    for key, points in sorted(metrics.items()):
        finite = [v for _, v in points if math.isfinite(v)]
        print(f"{key}: last {finite[-1]:.4f}" if finite else f"{key}: no finite value")
    print(f"{len(losses)} loss term(s), {len(metrics)} metric(s); wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
