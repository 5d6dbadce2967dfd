"""Seconds per training iteration and peak memory: the student alone, and KD-, DKD- and
LDRLD-distilled, at one batch and device.

    python tools/bench_det.py [--device cpu|cuda] [--student r18|r50] [--batch 2]
                              [--scale 1333x800] [--iters 10] [--json]

Every variant runs the same toy COCO batch through the real MMDetection data
pipeline and ``train_step`` (forward, backward, SGD update; for the distillers
the teacher's forward on the student's RoIs and the loss too). Time: one process
builds every variant and runs them in turns, iteration by iteration, so that a
shared machine's load falls on all of them alike; the median is reported. Peak
memory: each variant once more in a fresh process of its own (one warm-up and one
step), torch.cuda.max_memory_allocated on GPU, the process's peak resident set
size on CPU. The teacher is the R-101 caffe FPN of configs/frcnn_r101_teacher.py
with random weights (speed does not depend on them).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VARIANTS = {  # name: config
    "student alone": "frcnn_{s}_fpn_1x_coco.py",
    "KD": "frcnn_r101_{s}_kd.py",
    "DKD": "frcnn_r101_{s}_dkd.py",
    "LDRLD": "frcnn_r101_{s}_ldrld.py",
}


def _batch(cfg, data_root, batch, scale):
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    w, h = scale
    pipeline = [
        dict(type="LoadImageFromFile"),
        dict(type="LoadAnnotations", with_bbox=True),
        dict(type="Resize", scale=(w, h), keep_ratio=True),
        dict(type="PackDetInputs"),
    ]
    dataset = DATASETS.build(
        dict(
            type="CocoDataset",
            data_root=data_root,
            ann_file="annotations/instances_train2017.json",
            data_prefix=dict(img="train2017/"),
            pipeline=pipeline,
        )
    )
    return pseudo_collate([dataset[i % len(dataset)] for i in range(batch)])


def build_variant(variant, args):
    """``(model, optim_wrapper, batch)`` of one variant, ready for ``train_step``."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    cfg = Config.fromfile(os.path.join(ROOT, "configs", VARIANTS[variant].format(s=args.student)))
    cfg.model.backbone.init_cfg = None
    if cfg.model.type == "RoIDistiller":
        cfg.model.teacher_checkpoint = None
    model = MODELS.build(cfg.model).to(torch.device(args.device))
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper), _batch(cfg, args.data_root, args.batch, args.scale)


def _setup():
    from mmdet.utils import register_all_modules

    import ldrld_det  # noqa: F401

    register_all_modules()
    warnings.simplefilter("ignore")


def _sync(device):
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def time_variants(args):
    """Median seconds per ``train_step`` of every variant, the variants taking turns."""
    _setup()
    built = {variant: build_variant(variant, args) for variant in VARIANTS}
    for _ in range(args.warmup):
        for model, optim, data in built.values():
            model.train_step(data, optim)
    samples = {variant: [] for variant in VARIANTS}
    for _ in range(args.iters):
        for variant, (model, optim, data) in built.items():
            _sync(args.device)
            start = time.perf_counter()
            model.train_step(data, optim)
            _sync(args.device)
            samples[variant].append(time.perf_counter() - start)
    return {variant: statistics.median(times) for variant, times in samples.items()}


def variant_peak_memory(args):
    """One variant's peak memory in this (fresh) process: a warm-up step and a step."""
    import torch

    _setup()
    model, optim, data = build_variant(args.variant, args)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        model.train_step(data, optim)
    _sync(args.device)
    if args.device == "cuda":
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"variant": args.variant, "peak_mb": peak_mb}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--student", default="r18", choices=["r18", "r50"])
    parser.add_argument("--batch", type=int, default=2, help="images per iteration (per GPU in the recipe: 2)")
    parser.add_argument("--scale", default=None, help="WxH resize bound (default 1333x800 on cuda, 640x384 on cpu)")
    parser.add_argument("--iters", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--data-root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.scale = tuple(int(v) for v in (args.scale or ("1333x800" if args.device == "cuda" else "640x384")).split("x"))
    args.iters = args.iters or (20 if args.device == "cuda" else 3)
    if args.variant:
        return variant_peak_memory(args)
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible to torch on this machine")
    from toy.det import make_toy_coco

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        make_toy_coco(tmp, num_train=max(2, args.batch), num_val=1, image_size=(640, 480))
        given = sys.argv[1:] if argv is None else list(argv)
        for variant in VARIANTS:  # a fresh process per variant (its own peak memory), on the options given here
            cmd = [sys.executable, os.path.abspath(__file__), *given, "--variant", variant, "--data-root", tmp]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{variant} failed:\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        args.data_root = tmp
        seconds = time_variants(args)  # all variants in this process, taking turns
    for r in results:
        r["s_per_iter"] = seconds[r["variant"]]
    base = results[0]["s_per_iter"]
    kd = next(r for r in results if r["variant"] == "KD")["s_per_iter"]
    if args.json:
        print(
            json.dumps(
                {
                    "device": args.device,
                    "student": args.student,
                    "batch": args.batch,
                    "scale": args.scale,
                    "results": results,
                }
            )
        )
        return
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU ({os.cpu_count()} cores)"
    memory = "peak allocated MB" if args.device == "cuda" else "peak RSS MB"
    print(
        f"Faster R-CNN {args.student.upper()} FPN, batch {args.batch}, resize to {args.scale[0]}x{args.scale[1]}, "
        f"median of {args.iters} iterations, the variants taking turns, on {where}"
    )
    print(f"{'variant':<16}{'s/iter':>10}{'x student':>11}{'x KD':>8}{memory:>20}")
    for r in results:
        print(
            f"{r['variant']:<16}{r['s_per_iter']:>10.3f}{r['s_per_iter'] / base:>11.2f}"
            f"{r['s_per_iter'] / kd:>8.2f}{r['peak_mb']:>20.0f}"
        )


if __name__ == "__main__":
    main()
