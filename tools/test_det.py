"""Evaluate a detector checkpoint: COCO AP, AP50 and AP75 with pycocotools.

    python tools/test_det.py configs/frcnn_r101_r18_ldrld.py work_dirs/frcnn_r101_r18_ldrld/epoch_12.pth \
        --data-root data/coco

The metrics are printed and written to WORK_DIR/metrics.json. A distillation
config evaluates its student; the teacher is not loaded.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ldrld_det.cli import (InputError, add_common_args, apply_data_root, friendly_errors,  # noqa: E402
                           load_config)

REPORTED = ("coco/bbox_mAP", "coco/bbox_mAP_50", "coco/bbox_mAP_75")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", help="checkpoint file to evaluate")
    add_common_args(parser)
    return parser.parse_args(argv)


@friendly_errors
def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import Runner

    if not os.path.isfile(args.checkpoint):
        raise InputError(f"checkpoint not found: {args.checkpoint}")
    cfg = load_config(args.config, args)
    apply_data_root(cfg, args.data_root, splits=("val",))
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    metrics = {k: float(v) for k, v in metrics.items()}
    os.makedirs(cfg.work_dir, exist_ok=True)
    with open(os.path.join(cfg.work_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    for key in REPORTED:
        if key in metrics:
            print(f"{key.split('/')[-1].replace('bbox_mAP', 'AP'):>6}: {100 * metrics[key]:.2f}")
    return metrics


if __name__ == "__main__":
    main()
