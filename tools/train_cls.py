"""Train a classifier or distil a student (CIFAR-100, Tiny-ImageNet, ImageNet-1K, CUB-200) on MMEngine's Runner.

    python tools/train_cls.py configs/cls/cifar100/resnet32x4_resnet8x4_ldrld.py --data-root data/cifar100 \\
        --teacher-checkpoint checkpoints/cifar100_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth
    torchrun --nproc_per_node=8 tools/train_cls.py CONFIG --launcher pytorch
    python tools/train_cls.py CONFIG --resume              # continue from the latest checkpoint

See docs/classification.md. Options: --data-root, --teacher-checkpoint, --work-dir, --cfg-options,
--resume [CHECKPOINT], --amp, --launcher, --trust-checkpoint.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ldrld_cls.engine.train_cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
