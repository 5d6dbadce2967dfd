"""Train a detector, or distil one, with MMDetection's Runner.

    python tools/train_det.py configs/frcnn_r101_r18_ldrld.py --data-root data/coco \\
        --teacher-checkpoint checkpoints/faster_rcnn_r101_caffe_fpn_mstrain_3x_coco.pth
    # 8 GPUs (batch 2 per GPU = 16, the recipe's batch):
    torchrun --nproc_per_node 8 tools/train_det.py configs/frcnn_r101_r18_ldrld.py --launcher pytorch
    # offline: no ImageNet initialisation of the student's backbone
    python tools/train_det.py configs/frcnn_r101_r18_ldrld.py --data-root data/coco --no-pretrained

Options as in MMDetection's tools/train.py (--work-dir, --cfg-options, --resume
[PATH], --amp, --auto-scale-lr, --launcher) plus --data-root, --teacher-checkpoint,
--trust-checkpoint and --no-pretrained (see docs/detection.md). Bad input ends in
one line on stderr and exit status 2 (LDRLD_DEBUG=1 for the traceback).
"""

import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("train_det.py")
def main(argv=None):
    from ldrld_det.cli import DETECTION
    from ldrld_mm import cli

    args = cli.parser("train_det.py", __doc__).parse_args(argv)
    cli.train(cli.load_config(args, DETECTION))


if __name__ == "__main__":
    sys.exit(main())
