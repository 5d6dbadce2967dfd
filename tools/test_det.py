"""Evaluate a detector checkpoint: COCO AP, AP50 and AP75 with pycocotools.

    python tools/test_det.py configs/frcnn_r101_r18_ldrld.py work_dirs/frcnn_r101_r18_ldrld/epoch_12.pth \\
        --data-root data/coco

The metrics are printed and written to WORK_DIR/metrics.json; a model that
detects nothing scores AP 0.00 (said so in a note). A distillation config
evaluates its student; the teacher is neither built nor loaded. The checkpoint
must fit the model exactly (strict loading).
"""

import os
import sys

from ldrld_core.atomic_io import atomic_write_json
from ldrld_core.errors import cli_boundary

REPORTED = (("AP", "coco/bbox_mAP"), ("AP50", "coco/bbox_mAP_50"), ("AP75", "coco/bbox_mAP_75"))


def evaluate(args):
    """``(metrics, note)``: the COCO metrics of ``args.checkpoint`` on the config's val split."""
    from mmengine.registry import init_default_scope

    from ldrld_core import load_checkpoint_into
    from ldrld_det.cli import DETECTION
    from ldrld_mm import cli, student_model_cfg
    from ldrld_mm.workdir import WorkDirGuard

    cfg = cli.load_config(args, DETECTION, training=False)
    init_default_scope(cfg.get("default_scope", "mmdet"))
    cfg.model = student_model_cfg(cfg.model)
    with WorkDirGuard(cfg.work_dir):  # a checkpoint that does not fit leaves no trace
        runner = cli.build_runner(cfg)
        load_checkpoint_into(runner.model, args.checkpoint, strict=True, trust=args.trust_checkpoint)
    metrics = {k: float(v) for k, v in runner.test().items()}
    note = None
    if not any(key in metrics for _, key in REPORTED):
        note = "the model detected nothing on the validation images, so every AP is 0"
        metrics.update({key: 0.0 for _, key in REPORTED})
    return metrics, note, cfg.work_dir


@cli_boundary("test_det.py")
def main(argv=None):
    from ldrld_core.errors import CheckpointError
    from ldrld_mm import cli

    args = cli.parser("test_det.py", __doc__, training=False).parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        raise CheckpointError(
            f"checkpoint {args.checkpoint}: no such file; expected a checkpoint written by "
            f"tools/train_det.py (or any MMDetection checkpoint of this config's model)"
        )
    metrics, note, work_dir = evaluate(args)
    record = dict(metrics, note=note) if note else metrics
    atomic_write_json(record, os.path.join(work_dir, "metrics.json"))
    for name, key in REPORTED:
        print(f"{name:>6}: {100 * metrics[key]:.2f}")
    if note:
        print(f"note: {note}")


if __name__ == "__main__":
    sys.exit(main())
