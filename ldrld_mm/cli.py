"""The command-line core of ``tools/train_det.py``, ``tools/test_det.py`` and
``tools/train_cls.py``: one set of flags with one meaning, one way to load a
config, and one way to start MMEngine's Runner.

Flags (as in MMDetection's ``tools/train.py``, plus this toolkit's own):

- ``--work-dir DIR`` (default ``work_dirs/<config path under configs/>``),
  ``--cfg-options KEY=VALUE ...``, ``--launcher none|pytorch|slurm|mpi``;
- ``--resume [CHECKPOINT]``: MMEngine's own resume, from CHECKPOINT or (no
  value) from the work dir's ``last_checkpoint``;
- ``--amp``: MMEngine's ``AmpOptimWrapper`` on a GPU, bfloat16 autocast
  (``CPUBF16OptimWrapper``) on a CPU;
- ``--auto-scale-lr``: MMEngine's learning-rate scaling by the actual batch;
- ``--fast``: the task's fast path where it has one (classification:
  ``ldrld_cls.engine.fast``), an error elsewhere;
- ``--data-root DIR``, ``--teacher-checkpoint PATH|URL``, ``--trust-checkpoint``;
- ``--no-pretrained``: drop every ImageNet initialisation (``init_cfg`` of type
  ``Pretrained``) so that nothing is downloaded.

Reading a config checks what a run needs before MMEngine writes anything (config,
options, data layout, local checkpoints, the work dir) and downloads nothing:
ImageNet initialisations are fetched by :func:`build_runner`, where the model is
built, and a teacher given as a URL by the model that loads it, each once. A run
that fails before its first iteration (an offline download included) leaves its
work dir as it found it (:class:`~ldrld_mm.workdir.WorkDirGuard`). Errors are
:class:`~ldrld_core.errors.InputError`\\ s, printed as one line by
:func:`ldrld_core.errors.cli_boundary`.
"""

import argparse
import itertools
import os
import warnings
from dataclasses import dataclass
from typing import Callable, Optional

from ldrld_core.checkpoint import add_trust_flag, run_checkpoint
from ldrld_core.errors import CheckpointError, ConfigError

from .pretrained import drop_pretrained, fetch_pretrained, is_remote

# mmengine 0.10.7 imports pkg_resources, which warns on every start; it is noise to a user.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

LOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")


@dataclass(frozen=True)
class Task:
    """What differs between the tools: how ``--data-root`` lands in a config
    (``apply_data_root(cfg, root_or_None, splits)``, which also checks the
    layout) and where a config keeps its teacher checkpoint
    (``teacher_slot(cfg) -> (dict, path key, trust key)``, or None without a
    teacher)."""

    name: str
    example_config: str
    apply_data_root: Callable
    teacher_slot: Callable
    check_config: Optional[Callable] = None
    fast: Optional[Callable] = None  # fast(cfg) -> report lines: the task's --fast path, if it has one


# ------------------------------------------------------------------ flags ----
def parser(prog, description, training=True) -> argparse.ArgumentParser:
    from mmengine.config import DictAction

    p = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("config", help="an MMEngine config file")
    if not training:
        p.add_argument("checkpoint", help="the checkpoint to evaluate")
    p.add_argument(
        "--work-dir", help="folder for logs, checkpoints and metrics (default: work_dirs/<config path under configs/>)"
    )
    p.add_argument("--data-root", help="the data set's folder (overrides the config's data_root everywhere)")
    p.add_argument(
        "--cfg-options",
        nargs="+",
        action=DictAction,
        default={},
        help="override config entries, KEY=VALUE (as in MMDetection's tools)",
    )
    p.add_argument(
        "--launcher",
        choices=["none", "pytorch", "slurm", "mpi"],
        default="none",
        help="job launcher for distributed runs (torchrun: pytorch)",
    )
    p.add_argument(
        "--no-pretrained",
        action="store_true",
        help="no ImageNet initialisation (init_cfg Pretrained): nothing is downloaded, networks start "
        "from random weights",
    )
    add_trust_flag(p)
    if training:
        p.add_argument(
            "--teacher-checkpoint",
            help="teacher weights (a path, an http(s) URL or torchvision://NAME) for a distillation config",
        )
        p.add_argument(
            "--resume",
            nargs="?",
            const="auto",
            metavar="CHECKPOINT",
            help="continue a run: from CHECKPOINT, or (no value) from the work dir's latest",
        )
        p.add_argument(
            "--amp", action="store_true", help="mixed precision: AmpOptimWrapper on a GPU, bfloat16 autocast on a CPU"
        )
        p.add_argument(
            "--auto-scale-lr",
            action="store_true",
            help="scale the learning rate by the actual total batch size (auto_scale_lr)",
        )
        p.add_argument(
            "--fast",
            action="store_true",
            help="the fast path (classification): data on the device, channels_last, bfloat16, "
            "the step compiled on a GPU; the log says what applied",
        )
    p.add_argument("--local-rank", "--local_rank", type=int, default=0, help=argparse.SUPPRESS)
    return p


# ----------------------------------------------------------------- config ----
def default_work_dir(config_path) -> str:
    """``work_dirs/cls/cifar100/x`` for ``configs/cls/cifar100/x.py``, ``work_dirs/x`` for ``x.py``."""
    parts = os.path.abspath(config_path).split(os.sep)
    if "configs" in parts:
        last = len(parts) - 1 - parts[::-1].index("configs")
        parts = parts[last + 1 :]
    else:
        parts = parts[-1:]
    return os.path.splitext(os.path.join("work_dirs", *parts))[0]


_LOADED = itertools.count()


def read_config(path, task: Task):
    """``Config.fromfile(path)``; a missing or unreadable file is one ConfigError."""
    from mmengine.config import Config

    if not os.path.isfile(path):
        raise ConfigError(f"config {path}: no such file; expected an MMEngine config such as {task.example_config}")
    try:
        return Config.fromfile(path)
    except Exception as err:  # noqa: BLE001  (syntax errors, bad _base_ paths, failed custom_imports ...)
        raise ConfigError(f"config {path} could not be read: {type(err).__name__}: {err}") from None


def fix_loaders(cfg) -> None:
    """``num_workers=0`` turns ``persistent_workers`` off (torch refuses the pair);
    without CUDA, ``pin_memory`` is off (torch warns at every epoch otherwise)."""
    import torch

    for name in LOADERS:
        loader = cfg.get(name)
        if not isinstance(loader, dict):
            continue
        if loader.get("num_workers", 0) == 0 and loader.get("persistent_workers"):
            loader["persistent_workers"] = False
        if loader.get("pin_memory") and not torch.cuda.is_available():
            loader["pin_memory"] = False


def _unique_visualizer(cfg) -> None:
    # MMDetection names every run's visualizer 'visualizer', and MMEngine keeps one
    # instance per name and process: a second runner built in the same process (a
    # notebook, the tests) would log into the first one's folder.
    visualizer = cfg.get("visualizer")
    if isinstance(visualizer, dict) and visualizer.get("name") in (None, "visualizer"):
        visualizer["name"] = f"visualizer_{os.getpid()}_{next(_LOADED)}"


def _set_teacher(cfg, args, task: Task) -> None:
    slot = task.teacher_slot(cfg)
    given = getattr(args, "teacher_checkpoint", None)
    if slot is None:
        if given:
            raise ConfigError(
                f"--teacher-checkpoint: config {args.config} trains without a teacher (its model has no teacher)"
            )
        return
    holder, key, trust_key = slot
    if given:  # a file, a URL, or the work dir of the teacher's run (the checkpoint it names last)
        holder[key] = given if is_remote(str(given)) else run_checkpoint(given, "--teacher-checkpoint")
    if args.trust_checkpoint:
        holder[trust_key] = True
    spec = holder.get(key)
    if not spec or is_remote(str(spec)):  # a URL is fetched once, by the model that loads it
        return
    if not os.path.isfile(os.path.expanduser(str(spec))):
        raise CheckpointError(
            f"teacher checkpoint {spec}: no such file; pass --teacher-checkpoint PATH "
            f"(a file, an http(s) URL or torchvision://NAME)"
        )


def load_config(args, task: Task, training=True):
    """The Config the tool runs, with the command line applied and every input checked."""
    import torch

    from .workdir import check_writable

    if training and args.fast and task.fast is None:
        raise ConfigError(f"--fast: {task.name} has no fast path (it is classification's: tools/train_cls.py --fast)")
    cfg = read_config(args.config, task)
    if args.cfg_options:
        try:
            cfg.merge_from_dict(args.cfg_options)
        except Exception as err:  # noqa: BLE001
            raise ConfigError(f"--cfg-options {args.cfg_options}: {err}") from None
    if training and cfg.get("fast") and task.fast is None:
        raise ConfigError(
            f"config {args.config}: fast = True (from the config or --cfg-options), but {task.name} "
            f"has no fast path (it is classification's)"
        )
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    cfg.launcher = args.launcher
    cfg.work_dir = check_writable(args.work_dir or cfg.get("work_dir") or default_work_dir(args.config))
    _unique_visualizer(cfg)
    fix_loaders(cfg)
    task.apply_data_root(cfg, args.data_root, ("train", "val") if training else ("val",))
    if task.check_config is not None:
        task.check_config(cfg)
    if args.no_pretrained or not training:  # evaluation: the checkpoint holds every weight
        drop_pretrained(cfg.get("model"))
    if training:
        _set_teacher(cfg, args, task)
        if args.amp:
            if torch.cuda.is_available():
                cfg.optim_wrapper.type = "AmpOptimWrapper"
                cfg.optim_wrapper.setdefault("loss_scale", "dynamic")
            else:
                cfg.optim_wrapper.type = "CPUBF16OptimWrapper"
        if args.fast or cfg.get("fast"):
            task.fast(cfg)
        if args.auto_scale_lr:
            if "base_batch_size" not in (cfg.get("auto_scale_lr") or {}):
                raise ConfigError("--auto-scale-lr: the config has no auto_scale_lr.base_batch_size")
            cfg.auto_scale_lr.enable = True
        if args.resume == "auto":
            cfg.resume, cfg.load_from = True, None
        elif args.resume is not None:
            if not os.path.isfile(args.resume):
                raise CheckpointError(
                    f"--resume {args.resume}: no such file; expected a checkpoint that a "
                    f"run of this config wrote (or --resume alone for the latest)"
                )
            cfg.resume, cfg.load_from = True, os.path.abspath(args.resume)
    return cfg


# -------------------------------------------------------------------- run ----
def build_runner(cfg):
    """MMEngine's Runner of ``cfg`` (``runner_type`` honoured), after fetching the model's ImageNet
    initialisations into torch's hub cache (offline: one sentence that names each, instead of a
    failure deep inside MMEngine's weight loading)."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    fetch_pretrained(cfg.get("model"))

    return Runner.from_cfg(cfg) if "runner_type" not in cfg else RUNNERS.build(cfg)


def train(cfg):
    """Start (or resume) the run of ``cfg``; its work dir is untouched if it fails before iterating."""
    from .dist import setup_cpu_distributed
    from .hooks import RunStartHook
    from .workdir import WorkDirGuard

    setup_cpu_distributed(cfg)
    with WorkDirGuard(cfg.work_dir) as guard:
        try:
            runner = build_runner(cfg)
        except TypeError as err:  # a component given an argument it does not take: a config problem
            raise ConfigError(f"config {cfg.filename}: {err}; check the config and --cfg-options") from err
        runner.register_hook(RunStartHook(guard))
        runner.train()
    return runner
