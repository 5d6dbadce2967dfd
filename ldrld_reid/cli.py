"""``tools/train_reid.py`` and ``tools/test_reid.py`` on the command-line core of the other tools
(``ldrld_mm.cli.parser``): the same flags with the same meaning, and the same sentences for the same
mistakes. A Re-ID run is torchreid's ``Engine.run``, not MMEngine's Runner, so the flags that
configure the Runner (``--amp``, ``--auto-scale-lr``, ``--fast``, a ``--launcher``) are refused in one
sentence; the flags of the two-stage Re-ID tool are refused with what to write instead."""

import os

from ldrld_core.checkpoint import run_checkpoint
from ldrld_core.errors import CheckpointError, ConfigError, InputError

from .config import apply_cfg_options, load_config

RETIRED_FLAGS = {  # the two-stage tool's flags, and what to write instead
    "--mode": "one config trains one network now: the teacher with its own config (e.g. configs/reid/"
    "market1501_r50.py), a student with --teacher-checkpoint; evaluate with tools/test_reid.py CONFIG CHECKPOINT",
    "--loss": "use the config of that loss (configs/reid/market1501_r50_r18_{ldrld,kd,dkd}.py; the student alone: "
    "market1501_r18.py), or a config of your own with distill_loss=dict(type=..., ...)",
    "--student-checkpoint": "evaluate with tools/test_reid.py CONFIG CHECKPOINT",
    "--max-epoch": "--cfg-options train.max_epoch=N",
    "--batch-size": "--cfg-options train.batch_size=N",
    "--lr": "--cfg-options train.lr=LR",
    "--eval-freq": "--cfg-options test.eval_freq=N",
    "--alpha": "--cfg-options distill_loss.alpha=A (KD's weight: distill_loss.loss_weight=W)",
    "--beta": "--cfg-options distill_loss.beta=B",
    "--temperature": "--cfg-options distill_loss.temperature=T",
    "--depth": "--cfg-options distill_loss.depth=D",
    "--device": "--cfg-options device=cpu (or cuda)",
    "--seed": "--cfg-options randomness.seed=K",
    "--workers": "--cfg-options data.workers=N",
    "--pretrained": "ImageNet weights are the default (model.pretrained); --no-pretrained turns them off",
    "--root": "--data-root DIR",
    "--save-dir": "--work-dir DIR",
    "--config": "the config as the first argument: tools/train_reid.py CONFIG",
}
RUNNER_ONLY = {
    "amp": "--amp: torchreid's engine trains Re-ID in float32 here (mixed precision is MMEngine's, for "
    "classification and detection)",
    "auto_scale_lr": "--auto-scale-lr: Re-ID's learning rate is train.lr (torchreid's engine has no auto_scale_lr)",
    "fast": "--fast: Re-ID has no fast path (it is classification's: tools/train_cls.py --fast)",
}


def refuse_retired(argv) -> None:
    """One sentence for the first flag of the two-stage Re-ID tool in ``argv``."""
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in RETIRED_FLAGS:
            raise InputError(f"{flag} is retired: {RETIRED_FLAGS[flag]}")


def load_run_config(args, training=True) -> dict:
    """The Re-ID config the tool runs: the file over the defaults, then --cfg-options, --data-root,
    --work-dir, --no-pretrained and --teacher-checkpoint, every input checked before anything is written."""
    from ldrld_mm.cli import default_work_dir
    from ldrld_mm.workdir import check_writable

    for flag, sentence in RUNNER_ONLY.items():
        if getattr(args, flag, False):
            raise ConfigError(sentence)
    if args.launcher != "none":
        raise ConfigError(
            f"--launcher {args.launcher}: Re-ID trains in one process (torchreid's engine); distributed runs are "
            "classification's and detection's"
        )
    cfg = apply_cfg_options(load_config(args.config), args.cfg_options)
    if args.data_root:
        cfg["data"]["root"] = args.data_root
    if args.no_pretrained:
        cfg["model"]["pretrained"] = False
    cfg["work_dir"] = check_writable(args.work_dir or cfg["work_dir"] or default_work_dir(args.config))
    given = getattr(args, "teacher_checkpoint", None)
    if given:
        if cfg["teacher"] is None:
            raise ConfigError(
                f"--teacher-checkpoint: config {args.config} trains without a teacher (its model has no teacher)"
            )
        path = run_checkpoint(given, "--teacher-checkpoint")  # a file, or the work dir of the teacher's run
        if not os.path.isfile(path):
            raise CheckpointError(
                f"teacher checkpoint {given}: no such file; pass --teacher-checkpoint PATH (a file, or the work "
                "dir of the teacher's run)"
            )
        cfg["teacher"]["checkpoint"] = os.path.abspath(path)
    if training and args.resume not in (None, "auto") and not os.path.isfile(args.resume):
        raise CheckpointError(
            f"--resume {args.resume}: no such file; expected a checkpoint that a run of this config wrote "
            "(or --resume alone for the latest)"
        )
    return cfg
