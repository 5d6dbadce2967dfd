"""Train a detector, or distil one, with MMDetection's Runner.

    python tools/train_det.py configs/frcnn_r101_r18_ldrld.py --data-root data/coco \
        --teacher-checkpoint checkpoints/faster_rcnn_r101_caffe_fpn_mstrain_3x_coco.pth
    # 8 GPUs (batch 2 per GPU = 16, the recipe's batch):
    torchrun --nproc_per_node 8 tools/train_det.py configs/frcnn_r101_r18_ldrld.py --launcher pytorch

Options as in MMDetection's tools/train.py (--work-dir, --cfg-options, --resume
[PATH], --amp, --auto-scale-lr, --launcher) plus --data-root, --teacher-checkpoint
and --trust-checkpoint.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ldrld_det.cli import (InputError, add_common_args, apply_data_root, friendly_errors,  # noqa: E402
                           load_config, set_teacher_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="training config file")
    add_common_args(parser)
    parser.add_argument("--teacher-checkpoint", help="teacher weights (path or URL) for a distillation config")
    parser.add_argument("--trust-checkpoint", action="store_true",
                        help="allow a teacher checkpoint that needs full unpickling (only for files you trust)")
    parser.add_argument("--resume", nargs="?", const="auto",
                        help="resume from PATH, or with no PATH from the latest checkpoint in the work dir")
    parser.add_argument("--amp", action="store_true",
                        help="mixed precision: AmpOptimWrapper on GPU, bfloat16 autocast on CPU")
    parser.add_argument("--auto-scale-lr", action="store_true", help="scale the lr by the actual batch size")
    return parser.parse_args(argv)


def build_runner(args):
    import torch
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    cfg = load_config(args.config, args)
    apply_data_root(cfg, args.data_root, splits=("train", "val"))
    set_teacher_checkpoint(cfg, args.teacher_checkpoint, args.trust_checkpoint)
    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.loss_scale = "dynamic"
        else:
            cfg.optim_wrapper.type = "CPUBF16OptimWrapper"
    if args.auto_scale_lr:
        if "base_batch_size" not in cfg.get("auto_scale_lr", {}):
            raise InputError("--auto-scale-lr: the config has no auto_scale_lr.base_batch_size")
        cfg.auto_scale_lr.enable = True
    if args.resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not os.path.isfile(args.resume):
            raise InputError(f"--resume: checkpoint not found: {args.resume}")
        cfg.resume, cfg.load_from = True, args.resume
    return Runner.from_cfg(cfg) if "runner_type" not in cfg else RUNNERS.build(cfg)


@friendly_errors
def main(argv=None):
    args = parse_args(argv)
    runner = build_runner(args)
    runner.train()
    return runner


if __name__ == "__main__":
    main()
