"""Figure 5: how far a student's class-correlation structure is from its teacher's.

For the logits of a teacher and of one or more students over the same data,
draws |corr(teacher) - corr(student)| (the C x C Pearson correlation between
class logit columns, ldrld_core.correlation) as a heatmap, one panel per
student, with the mean absolute difference in each panel's title; the means
are printed too, one line per student, and written to the PNG's name with .json
(``{"mean_abs_difference": {label: value}}``). A checkpoint may be given as the
work dir of the run that saved it.

    # classification (logits of the network on the config's validation split)
    python tools/plot_corr.py --task cls --teacher-config configs/cls/cifar100/vanilla/resnet56.py \\
        --teacher T.pth --config configs/cls/cifar100/resnet56_resnet20_kd.py --student KD.pth LDRLD.pth \\
        --labels KD LDRLD --data-root data/cifar100 --out corr.png
    # detection (RoI class scores, background included, on the teacher's proposals of the val images)
    python tools/plot_corr.py --task det --teacher-config TEACHER_CFG --teacher T.pth --config STUDENT_CFG \\
        --student S.pth --data-root data/coco --out corr.png
    # Re-ID (the classifier applied to eval features of the query and gallery images)
    python tools/plot_corr.py --task reid --teacher work_dirs/reid/market1501_r50 \\
        --student work_dirs/reid/market1501_r50_r18_ldrld --data-root data/toy_reid --out corr.png
"""

import argparse
import os
import sys

from ldrld_core.atomic_io import atomic_write_json
from ldrld_core.checkpoint import add_trust_flag
from ldrld_core.errors import InputError, cli_boundary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIG_HEIGHT, PANEL_WIDTH, DPI = 4.6, 5.2, 100  # a PNG of (PANEL_WIDTH * panels * DPI) x (FIG_HEIGHT * DPI) pixels


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="plot_corr.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--task", choices=("cls", "det", "reid"), required=True)
    p.add_argument("--teacher", required=True, help="teacher checkpoint, or the work dir of its run")
    p.add_argument(
        "--student", nargs="+", required=True, help="student checkpoint(s) or their runs' work dirs: one panel each"
    )
    p.add_argument("--labels", nargs="+", help="panel names, one per student (default: the file names)")
    p.add_argument("--teacher-config", help="cls/det: the config the teacher was trained with")
    p.add_argument(
        "--config",
        help="cls/det: the students' config (also gives the data); "
        "reid: the Re-ID config (default configs/reid/market1501_r50_r18_ldrld.py)",
    )
    p.add_argument("--data-root", help="data set folder (overrides the config's)")
    p.add_argument(
        "--classes",
        default="all",
        help="which classes to draw: all (default), present (classes among the cls labels), or N (the first N)",
    )
    p.add_argument("--proposals", type=int, default=64, help="det: teacher proposals scored per image")
    p.add_argument("--panels", type=int, help="draw the first N students only (the means of all are printed)")
    p.add_argument("--out", required=True, help="PNG to write")
    add_trust_flag(p)
    args = p.parse_args(argv)
    if args.labels and len(args.labels) != len(args.student):
        p.error(f"--labels: {len(args.labels)} label(s) for {len(args.student)} student(s)")
    if args.panels is not None and not 1 <= args.panels <= len(args.student):
        p.error(f"--panels {args.panels}: between 1 and the {len(args.student)} student(s)")
    return args


def _check_files(args):
    from ldrld_core.checkpoint import run_checkpoint

    # a checkpoint file, or the work dir of the run that wrote it (the checkpoint it names last)
    args.teacher = run_checkpoint(args.teacher, "--teacher")
    args.student = [run_checkpoint(s, "--student") for s in args.student]
    for path in [args.teacher, *args.student]:
        if not os.path.isfile(path):
            raise InputError(f"checkpoint {path}: no such file")
    if args.task in ("cls", "det"):
        for option in ("teacher_config", "config"):
            value = getattr(args, option)
            if not value:
                raise InputError(f"--{option.replace('_', '-')} is required for --task {args.task}")
            if not os.path.isfile(value):
                raise InputError(
                    f"--{option.replace('_', '-')} {value}: no such file; expected the config the "
                    f"model was trained with"
                )
    if args.data_root is not None and not os.path.isdir(args.data_root):
        raise InputError(f"--data-root {args.data_root}: no such folder; expected the data set's folder")


def collect_logits(args):
    """``(teacher_logits, [student_logits...], labels or None)``, rows aligned."""
    if args.task == "cls":
        from ldrld_cls.logits import classifier_logits

        t, labels = classifier_logits(args.teacher_config, args.teacher, args.data_root, trust=args.trust_checkpoint)
        students = [
            classifier_logits(args.config, s, args.data_root, trust=args.trust_checkpoint)[0] for s in args.student
        ]
        return t, students, labels
    if args.task == "det":
        from ldrld_det.logits import build_detector, roi_class_logits, val_loader

        teacher, _ = build_detector(args.teacher_config, args.teacher, args.trust_checkpoint)
        built = [build_detector(args.config, s, args.trust_checkpoint) for s in args.student]
        loader = val_loader(built[0][1], args.data_root)
        t, students = roi_class_logits(teacher, [m for m, _ in built], loader, args.proposals)
        return t, students, None
    from ldrld_reid.config import load_config
    from ldrld_reid.logits import reid_logits

    cfg = load_config(args.config or os.path.join(ROOT, "configs", "reid", "market1501_r50_r18_ldrld.py"))
    if args.data_root:
        cfg["data"]["root"] = args.data_root
    cfg["data"]["workers"] = 0
    t, _ = reid_logits(cfg, args.teacher, args.trust_checkpoint)
    return t, [reid_logits(cfg, s, args.trust_checkpoint)[0] for s in args.student], None


def select_classes(spec, num_classes, labels):
    if spec == "all":
        return list(range(num_classes))
    if spec == "present":
        if labels is None:
            raise InputError("--classes present needs class labels (only --task cls has them)")
        return sorted(set(int(v) for v in labels.tolist()))
    try:
        n = int(spec)
    except ValueError:
        raise InputError(f"--classes must be all, present or a number, got {spec!r}") from None
    if not 2 <= n <= num_classes:
        raise InputError(f"--classes {n}: must be between 2 and the {num_classes} classes")
    return list(range(n))


def draw(gaps, labels, out, title):
    """One heatmap panel per (label, gap matrix); a PNG of a fixed size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    vmax = max(float(g.max()) for g in gaps) or 1.0
    fig, axes = plt.subplots(1, len(gaps), figsize=(PANEL_WIDTH * len(gaps), FIG_HEIGHT), dpi=DPI, squeeze=False)
    for ax, gap, label in zip(axes[0], gaps, labels):
        image = ax.imshow(gap.numpy(), cmap="viridis", vmin=0.0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{label}: mean |diff| = {float(gap.mean()):.4f}", fontsize=10)
        ax.set_xlabel("class")
        ax.set_ylabel("class")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.95, top=0.84, bottom=0.12, wspace=0.35)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def plot_corr(args):
    """Compute, draw and print; returns ``{label: mean absolute difference}``."""
    import torch

    from ldrld_core.correlation import correlation_gap

    _check_files(args)
    teacher, students, labels = collect_logits(args)
    classes = select_classes(args.classes, teacher.shape[1], labels)
    index = torch.as_tensor(classes)
    names = args.labels or [os.path.basename(os.path.dirname(s)) or os.path.basename(s) for s in args.student]
    gaps, means = [], {}
    for name, s in zip(names, students):
        if s.shape != teacher.shape:
            raise InputError(
                f"{name}: student logits {tuple(s.shape)} and teacher logits {tuple(teacher.shape)} "
                f"differ in shape; teacher and student must share one class list"
            )
        gap, means[name] = correlation_gap(teacher[:, index], s[:, index])
        gaps.append(gap)
    panels = args.panels or len(gaps)
    draw(
        gaps[:panels],
        names[:panels],
        args.out,
        f"{args.task}: |corr(teacher) - corr(student)| over {len(classes)} classes, {teacher.shape[0]} samples",
    )
    for name, value in means.items():
        print(f"{name}: mean absolute difference {value:.6f}")
    written = atomic_write_json({"mean_abs_difference": means}, os.path.splitext(args.out)[0] + ".json")
    print(f"wrote {args.out} and {written}")
    return means


@cli_boundary("plot_corr.py")
def main(argv=None):
    plot_corr(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
