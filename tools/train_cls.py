"""Train a classifier or distil a student (CIFAR-100, Tiny-ImageNet, ImageNet-1K, CUB-200) on MMEngine's Runner.

    python tools/train_cls.py configs/cls/cifar100/resnet32x4_resnet8x4_ldrld.py --data-root data/cifar100 \\
        --teacher-checkpoint checkpoints/cifar100_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth
    torchrun --nproc_per_node=8 tools/train_cls.py CONFIG --launcher pytorch
    python tools/train_cls.py CONFIG --resume              # continue from the latest checkpoint

See docs/classification.md. Options (the same as tools/train_det.py): --data-root, --teacher-checkpoint,
--work-dir, --cfg-options, --resume [CHECKPOINT], --amp, --auto-scale-lr, --launcher, --trust-checkpoint,
--no-pretrained. Bad input ends in one line on stderr and exit status 2 (LDRLD_DEBUG=1 for the traceback).
"""

import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("train_cls.py")
def main(argv=None):
    import ldrld_cls.engine  # noqa: F401  (registers the modules before the config names them)
    from ldrld_cls.cli import CLASSIFICATION
    from ldrld_mm import cli

    args = cli.parser("train_cls.py", __doc__).parse_args(argv)
    cli.train(cli.load_config(args, CLASSIFICATION))


if __name__ == "__main__":
    sys.exit(main())
