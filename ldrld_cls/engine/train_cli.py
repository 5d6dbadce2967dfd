"""``tools/train_cls.py``: train a classifier or distil a student on MMEngine's Runner.

    python tools/train_cls.py CONFIG [--data-root DIR] [--teacher-checkpoint PATH]
        [--work-dir DIR] [--cfg-options KEY=VALUE ...] [--resume [CHECKPOINT]] [--amp]
        [--launcher none|pytorch|slurm|mpi] [--trust-checkpoint]

Several GPUs or nodes: ``torchrun --nproc_per_node=N tools/train_cls.py CONFIG
--launcher pytorch`` (the data loader's batch size is per process). Bad input
(a missing data set or checkpoint, an unknown model, a class-count mismatch)
ends with one line on stderr and exit status 2; set ``LDRLD_DEBUG=1`` for the
traceback.
"""
import argparse
import os
import sys

EXIT_BAD_INPUT = 2


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(prog="train_cls.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="an mmengine config, e.g. configs/cls/cifar100/resnet32x4_resnet8x4_ldrld.py")
    parser.add_argument("--data-root", help="data set folder (overrides the config's data_root everywhere)")
    parser.add_argument("--teacher-checkpoint", help="teacher weights (overrides model.teacher.checkpoint)")
    parser.add_argument("--work-dir", help="where logs and checkpoints go "
                                           "(default: work_dirs/<config path under configs/>)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="override config values, e.g. train_cfg.max_epochs=10 randomness.seed=0")
    parser.add_argument("--resume", nargs="?", const="auto", default=None, metavar="CHECKPOINT",
                        help="continue training: from CHECKPOINT, or (no value) from the latest in the work dir")
    parser.add_argument("--amp", action="store_true", help="mixed precision (AmpOptimWrapper; needs a GPU)")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="job launcher for distributed training (torchrun: pytorch)")
    parser.add_argument("--trust-checkpoint", action="store_true",
                        help="allow a teacher checkpoint that needs full unpickling (only for files you trust)")
    parser.add_argument("--local-rank", "--local_rank", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    return args


def default_work_dir(config_path):
    """``work_dirs/cls/cifar100/x`` for ``configs/cls/cifar100/x.py``."""
    parts = os.path.abspath(config_path).split(os.sep)
    if "configs" in parts:
        last = len(parts) - 1 - parts[::-1].index("configs")
        parts = parts[last + 1:]
    else:
        parts = parts[-1:]
    return os.path.splitext(os.path.join("work_dirs", *parts))[0]


def _set_data_root(cfg, root):
    touched = False
    for name in ("train_dataloader", "val_dataloader", "test_dataloader"):
        loader = cfg.get(name)
        if loader and isinstance(loader.get("dataset"), dict):
            loader["dataset"]["data_root"] = root
            touched = True
    if not touched:
        from ..errors import ClsInputError
        raise ClsInputError("--data-root: the config has no train/val dataloader with a dataset to point at it")


def build_config(args):
    """The Config to run, with the command line applied."""
    from mmengine.config import Config
    from ..errors import ClsInputError
    if not os.path.isfile(args.config):
        raise ClsInputError(f"config {args.config} not found (expected a file such as "
                            f"configs/cls/cifar100/resnet32x4_resnet8x4_ldrld.py)")
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root:
        _set_data_root(cfg, args.data_root)
    model = cfg.get("model", {})
    if args.teacher_checkpoint or args.trust_checkpoint:
        if not model.get("teacher"):
            raise ClsInputError(f"--teacher-checkpoint/--trust-checkpoint: config {args.config} trains without "
                                f"a teacher (model.teacher is not set)")
        if args.teacher_checkpoint:
            model["teacher"]["checkpoint"] = args.teacher_checkpoint
        if args.trust_checkpoint:
            model["teacher"]["trust"] = True
    import torch
    if not torch.cuda.is_available():  # pinned memory needs a GPU (torch warns at every epoch otherwise)
        for name in ("train_dataloader", "val_dataloader", "test_dataloader"):
            if cfg.get(name) and cfg[name].get("pin_memory"):
                cfg[name]["pin_memory"] = False
    cfg.work_dir = args.work_dir or cfg.get("work_dir") or default_work_dir(args.config)
    cfg.launcher = args.launcher
    if args.amp:
        if not torch.cuda.is_available():
            raise ClsInputError("--amp needs a CUDA GPU; none is visible here")
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper.setdefault("loss_scale", "dynamic")
    if args.resume:
        from .checkpoint_io import find_resume_checkpoint
        cfg.resume = True
        if args.resume == "auto":
            cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        elif not os.path.isfile(args.resume):
            raise ClsInputError(f"--resume: checkpoint {args.resume} not found")
        else:
            cfg.load_from = args.resume
    return cfg


def _setup_cpu_distributed(cfg):
    """MMEngine's launcher calls torch.cuda.set_device; on a machine without
    CUDA, start the gloo process group here and keep DDP on the CPU."""
    import torch
    import torch.distributed as dist
    if cfg.launcher == "none" or torch.cuda.is_available():
        return
    if cfg.launcher != "pytorch":
        from ..errors import ClsInputError
        raise ClsInputError(f"--launcher {cfg.launcher} without CUDA: only --launcher pytorch (torchrun) runs "
                            f"on CPUs")
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    cfg.env_cfg.setdefault("dist_cfg", {})["backend"] = "gloo"
    cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None, broadcast_buffers=False,
                                 find_unused_parameters=False)


def run(cfg):
    from mmengine.runner import Runner
    _setup_cpu_distributed(cfg)
    if cfg.get("resume") and cfg.get("load_from") is None:
        print(f"train_cls.py: --resume: no checkpoint in {cfg.work_dir}; starting from the beginning",
              file=sys.stderr)
        cfg.resume = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def main(argv=None):
    from ldrld_core import CheckpointError
    from ..errors import ClsInputError
    args = parse_args(argv)
    try:
        import ldrld_cls.engine  # noqa: F401  (registers the modules before the config names them)
        cfg = build_config(args)
        run(cfg)
    except (ClsInputError, CheckpointError, ValueError, FileNotFoundError) as err:
        if os.environ.get("LDRLD_DEBUG"):
            raise
        print(f"train_cls.py: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
