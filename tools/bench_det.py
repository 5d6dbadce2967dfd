"""Seconds per training iteration and peak memory: the student alone, LDRLD-
and KD-distilled, at one batch and device.

    python tools/bench_det.py [--device cpu|cuda] [--student r18|r50] [--batch 2]
                              [--scale 1333x800] [--iters 10] [--json]

Each variant runs in its own process (so peak memory is its own) on the same
toy COCO batch, through the real MMDetection data pipeline and train_step
(forward, backward, SGD update). The teacher is the R-101 caffe FPN of
configs/frcnn_r101_teacher.py with random weights (speed does not depend on
them). Peak memory is torch.cuda.max_memory_allocated on GPU, the process's
peak resident set size on CPU.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VARIANTS = {  # name: config
    "student alone": "frcnn_{s}_fpn_1x_coco.py",
    "KD": "frcnn_r101_{s}_kd.py",
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


def run_variant(args):
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    import ldrld_det  # noqa: F401

    register_all_modules()
    warnings.simplefilter("ignore")
    device = torch.device(args.device)
    cfg = Config.fromfile(os.path.join(ROOT, "configs", VARIANTS[args.variant].format(s=args.student)))
    cfg.model.backbone.init_cfg = None
    if cfg.model.type == "RoIDistiller":
        cfg.model.teacher_checkpoint = None
    model = MODELS.build(cfg.model).to(device)
    if cfg.model.type == "RoIDistiller":
        model.teacher_loaded = True  # random teacher weights: timing only
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    data = _batch(cfg, args.data_root, args.batch, args.scale)
    for _ in range(args.warmup):
        model.train_step(data, optim)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.iters):
        model.train_step(data, optim)
    if device.type == "cuda":
        torch.cuda.synchronize()
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"variant": args.variant, "s_per_iter": (time.perf_counter() - start) / args.iters, "peak_mb": peak_mb}
        )
    )


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
        return run_variant(args)
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
        f"{args.iters} timed iterations on {where}"
    )
    print(f"{'variant':<16}{'s/iter':>10}{'x student':>11}{'x KD':>8}{memory:>20}")
    for r in results:
        print(
            f"{r['variant']:<16}{r['s_per_iter']:>10.3f}{r['s_per_iter'] / base:>11.2f}"
            f"{r['s_per_iter'] / kd:>8.2f}{r['peak_mb']:>20.0f}"
        )


if __name__ == "__main__":
    main()
