"""Smoke runs: any classification config, shrunk to a few iterations on small data.

Used by the tests (every configured pair runs two iterations on generated data
of its data set's format) and handy before a long run:

    from ldrld_cls.engine.smoke import smoke_config, write_random_teacher
    cfg = smoke_config(Config.fromfile(path), data_root, work_dir, teacher_checkpoint=ckpt)
    build_runner(cfg).train()
"""

import copy
import os
import uuid

import torch

from ..models import build_classifier

FOLDER_DATASETS = ("ImageNetFolder", "CUB200")


def write_random_teacher(arch, num_classes, family, path, wrap=True, seed=0):
    """Save a randomly initialised ``arch`` as a teacher checkpoint:
    ``{'model': state_dict}`` (the KD literature's CIFAR format) when ``wrap``,
    else a raw state dict (torchvision's format)."""
    torch.manual_seed(seed)
    state = build_classifier(arch, num_classes, family).state_dict()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"model": state} if wrap else state, path)
    return path


def _shrink_loader(loader, data_root, batch_size, image_size, train):
    loader.batch_size = batch_size
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.pin_memory = False
    dataset = loader.dataset
    dataset.data_root = data_root
    if image_size and dataset.get("type") in FOLDER_DATASETS:
        size = (image_size + image_size // 8, image_size + image_size // 8)
        dataset.pipeline = (
            [
                dict(type="Resize", size=size),
                dict(type="RandomCrop", size=image_size),
                dict(type="RandomHorizontalFlip"),
            ]
            if train
            else [dict(type="Resize", size=size), dict(type="CenterCrop", size=image_size)]
        )


def smoke_config(
    cfg,
    data_root,
    work_dir,
    teacher_checkpoint=None,
    epochs=1,
    batch_size=2,
    image_size=32,
    seed=0,
    save_checkpoints=False,
    tensorboard=False,
):
    """A copy of ``cfg`` that trains ``epochs`` epoch(s) at ``batch_size`` on
    ``data_root`` without worker processes, folder data sets cropped to
    ``image_size``, logging every iteration, validating every epoch."""
    cfg = copy.deepcopy(cfg)
    _shrink_loader(cfg.train_dataloader, data_root, batch_size, image_size, train=True)
    _shrink_loader(cfg.val_dataloader, data_root, batch_size, image_size, train=False)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = 1
    if teacher_checkpoint is not None and cfg.model.get("teacher"):
        cfg.model.teacher.checkpoint = teacher_checkpoint
    cfg.work_dir = work_dir
    cfg.experiment_name = f"smoke_{uuid.uuid4().hex[:12]}"
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.logger.interval = 1
    if not save_checkpoints:
        cfg.default_hooks.checkpoint = None
    if not tensorboard:
        cfg.visualizer.vis_backends = [dict(type="LocalVisBackend")]
    cfg.env_cfg.cudnn_benchmark = False
    return cfg


_RUNNER_ARGS = (
    "train_dataloader",
    "val_dataloader",
    "test_dataloader",
    "train_cfg",
    "val_cfg",
    "test_cfg",
    "auto_scale_lr",
    "optim_wrapper",
    "param_scheduler",
    "val_evaluator",
    "test_evaluator",
    "default_hooks",
    "custom_hooks",
    "data_preprocessor",
    "load_from",
    "log_processor",
    "visualizer",
    "experiment_name",
)


def build_runner(cfg, record_config=False):
    """The Runner of ``cfg``. ``Runner.from_cfg`` when ``record_config``;
    otherwise the same Runner built from the config's parts without the
    config itself, which spares the seconds MMEngine spends formatting the
    whole config for the log, the work dir and every checkpoint."""
    from mmengine.runner import Runner

    if record_config:
        return Runner.from_cfg(cfg)
    cfg = copy.deepcopy(cfg)
    kwargs = {key: cfg.get(key) for key in _RUNNER_ARGS}
    return Runner(
        model=cfg["model"],
        work_dir=cfg["work_dir"],
        resume=cfg.get("resume", False),
        launcher=cfg.get("launcher", "none"),
        env_cfg=cfg.get("env_cfg", dict(dist_cfg=dict(backend="nccl"))),
        log_level=cfg.get("log_level", "INFO"),
        default_scope=cfg.get("default_scope", "mmengine"),
        randomness=cfg.get("randomness", dict(seed=None)),
        **kwargs,
    )
