"""The Re-ID run configuration: an MMEngine config file over one set of defaults, then the command line.

Re-ID configs are MMEngine's ``Config`` files (Python, ``configs/reid/``), as the detection and
classification configs are: ``_base_`` inheritance, ``--cfg-options KEY=VALUE`` and dumping come
from MMEngine. The keys inside are torchreid's own (``scripts/default_config.py`` of
deep-person-reid: ``model.name``, ``data.root``, ``train.batch_size``, ``test.eval_freq`` ...) with
their default values, so a torchreid recipe reads the same here; as in the detection and
classification configs, a config that distils has ``teacher`` (the frozen teacher's architecture
and checkpoint, ``--teacher-checkpoint``) and ``distill_loss`` (an ``ldrld_core`` loss by its
registered type); this toolkit adds ``device`` and MMEngine's ``work_dir`` and ``randomness.seed``.
One config trains one network: the teacher is trained by a config of its own (no ``teacher``,
``distill_loss = None``), as in the other two tasks. ``DEFAULTS`` is also the schema: a config file
or ``--cfg-options`` may set these keys and no others (a misspelt key is an error, not silently
ignored); ``configs/reid/_base_/torchreid_defaults.py`` holds the same values for configs to inherit.
"""

import copy
import os

from ldrld_core.errors import ConfigError

TASK = "reid"  # what a Re-ID config says it is (``task = 'reid'``), so a sweep knows its tool
DEFAULTS = {
    "task": TASK,
    # init_checkpoint: initial weights of your own (a backbone state dict, loaded non-strictly:
    # ldrld_reid.init_weights) instead of, or after, torchreid's ImageNet ones (pretrained)
    "model": {"name": "resnet50", "pretrained": True, "init_checkpoint": None},  # the network that trains
    "teacher": None,  # distilling: dict(name=ARCH, checkpoint=PATH), the frozen teacher (--teacher-checkpoint)
    "distill_loss": None,  # distilling: dict(type='LDRLDLoss' | 'KDLoss' | 'DKDLoss', ...), ldrld_core's registry
    "data": {
        "root": "reid-data",
        "sources": ["market1501"],
        "targets": ["market1501"],
        "workers": 4,
        "height": 256,
        "width": 128,
        "transforms": ["random_flip"],
        "norm_mean": [0.485, 0.456, 0.406],
        "norm_std": [0.229, 0.224, 0.225],
    },
    "sampler": {"train_sampler": "RandomSampler"},
    "train": {
        "optim": "adam",
        "lr": 0.0003,
        "weight_decay": 5e-4,
        "max_epoch": 60,
        "batch_size": 32,
        "fixbase_epoch": 0,
        "open_layers": ["classifier"],
        "lr_scheduler": "single_step",
        "stepsize": [20],
        "gamma": 0.1,
        "print_freq": 20,
    },
    "loss": {"name": "softmax", "softmax": {"label_smooth": True}},
    "test": {
        "batch_size": 100,
        "dist_metric": "euclidean",
        "normalize_feature": False,
        "ranks": [1, 5, 10, 20],
        "eval_freq": -1,
        "start_eval": 0,
        "rerank": False,
    },
    "randomness": {"seed": 1},  # torchreid's train.seed, under MMEngine's name
    "device": "auto",  # auto | cpu | cuda
    "work_dir": None,  # checkpoints, logs and scalars; None: work_dirs/<config path under configs/>
}
TEACHER_KEYS = ("name", "checkpoint")
FREE = {"teacher", "distill_loss"}  # set whole (a dict or None), not merged key by key
EXAMPLE = "configs/reid/market1501_r50_r18_ldrld.py"
RETIRED = {  # keys of the two-stage Re-ID configs, and what to write instead
    "distill": "Re-ID configs take distill_loss=dict(type='LDRLDLoss', ...) from ldrld_core's registry now (as "
    "detection and classification; None: the model trains alone) and teacher=dict(name=..., checkpoint=...); "
    f"see {EXAMPLE}",
    "teacher.pretrained": "the teacher trains as the model of a config of its own now (model.pretrained there, "
    "e.g. configs/reid/market1501_r50.py); a distilling config's teacher has name and checkpoint only",
    "teacher.init_checkpoint": "the teacher trains as the model of a config of its own now (model.init_checkpoint "
    "there); a distilling config's teacher has name and checkpoint only",
}


def _retired(key, where):
    if key in RETIRED:
        raise ConfigError(f"{where}{key}: {RETIRED[key]}")


def _merge(base, override, where):
    for key, value in override.items():
        _retired(f"{where}{key}", "")
        if key not in base:
            raise ConfigError(
                f"unknown key {where}{key!r} in the Re-ID config; known keys at this level: {', '.join(sorted(base))}"
            )
        if not where and key in FREE:
            base[key] = _free(key, value, base[key])
        elif isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{key} must be a mapping, got {value!r}")
            _merge(base[key], value, f"{where}{key}.")
        else:
            base[key] = value


def _free(key, value, old):
    """``teacher`` or ``distill_loss``: None or a mapping (an override of one entry keeps the others)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a dict or None, got {value!r}")
    value = dict(old or {}, **value)
    if key == "teacher":
        for name in value:
            _retired(f"teacher.{name}", "")
            if name not in TEACHER_KEYS:
                raise ConfigError(f"unknown key teacher.{name!r} in the Re-ID config; a teacher has {TEACHER_KEYS}")
    return value


def read_config_file(path) -> dict:
    """MMEngine's ``Config.fromfile(path)`` (its ``_base_`` chain merged) as plain dicts."""
    from mmengine.config import Config

    if not os.path.isfile(path):
        raise ConfigError(f"config {path}: no such file; expected an MMEngine config such as {EXAMPLE}")
    try:
        return Config.fromfile(path).to_dict()
    except Exception as err:  # noqa: BLE001  (syntax errors, bad _base_ paths ...)
        raise ConfigError(f"config {path} could not be read: {type(err).__name__}: {err}") from None


def load_config(path=None) -> dict:
    """``DEFAULTS`` updated by the config file at ``path`` (and its ``_base_`` chain); its
    ``work_dir`` defaults to ``work_dirs/<config path under configs/>``, as the other tools'."""
    cfg = copy.deepcopy(DEFAULTS)
    if path is None:
        return cfg
    path = os.path.abspath(path)
    try:
        _merge(cfg, read_config_file(path), "")
    except ConfigError as err:
        raise ConfigError(f"config {path}: {err}" if not str(err).startswith("config ") else str(err)) from None
    if cfg["task"] != TASK:
        raise ConfigError(f"config {path}: task {cfg['task']!r}; tools/train_reid.py reads task='{TASK}' configs")
    if cfg["work_dir"] is None:
        from ldrld_mm.cli import default_work_dir

        cfg["work_dir"] = default_work_dir(path)
    return cfg


def distill_loss_config(cfg):
    """``ldrld_core.build_loss`` config of the distillation loss (``ce_weight=0`` unless set:
    torchreid's label-smoothed cross-entropy is the CE term), or None for a model that trains
    alone. A loss needs a teacher and a teacher a loss."""
    loss, teacher = cfg["distill_loss"], cfg["teacher"]
    if (loss is None) != (teacher is None):
        given, missing = (
            ("distill_loss", "teacher=dict(name=ARCH, checkpoint=PATH)")
            if teacher is None
            else (
                "teacher",
                "distill_loss=dict(type='LDRLDLoss', ...)",
            )
        )
        raise ConfigError(
            f"{given} is set but {missing} is not: a config distils with both, or trains alone with neither"
        )
    if loss is None:
        return None
    if "type" not in loss:
        raise ConfigError(f"distill_loss {loss!r}: no type; expected e.g. dict(type='LDRLDLoss', alpha=9.5, beta=1.0)")
    return dict({"ce_weight": 0.0}, **loss)


def apply_cfg_options(cfg, options) -> dict:
    """``--cfg-options KEY=VALUE ...`` as MMEngine's ``DictAction`` parses them (``{dotted key: value}``),
    each key checked against the schema."""
    cfg = copy.deepcopy(cfg)
    for key, value in dict(options or {}).items():
        override = value
        for part in reversed(str(key).split(".")):
            override = {part: override}
        try:
            _merge(cfg, override, "")
        except ConfigError as err:
            raise ConfigError(f"--cfg-options {key}={value!r}: {err}") from None
    return cfg


# ---- the keyword arguments of torchreid's own functions, as its scripts/default_config.py builds them ----
def _pick(section, *keys) -> dict:
    return {key: section[key] for key in keys}


def datamanager_kwargs(cfg, use_gpu) -> dict:
    data = cfg["data"]
    return dict(
        _pick(data, "sources", "targets", "height", "width", "norm_mean", "norm_std", "workers"),
        root=os.path.abspath(os.path.expanduser(data["root"])),
        transforms=list(data["transforms"]),
        use_gpu=use_gpu,
        batch_size_train=cfg["train"]["batch_size"],
        batch_size_test=cfg["test"]["batch_size"],
        train_sampler=cfg["sampler"]["train_sampler"],
    )


def optimizer_kwargs(cfg) -> dict:
    return _pick(cfg["train"], "optim", "lr", "weight_decay")


def scheduler_kwargs(cfg) -> dict:
    return _pick(cfg["train"], "lr_scheduler", "stepsize", "gamma", "max_epoch")


def run_kwargs(cfg, save_dir) -> dict:
    """``Engine.run``'s arguments (``start_epoch`` comes from ``--resume``)."""
    train, test = cfg["train"], cfg["test"]
    return dict(
        _pick(train, "max_epoch", "fixbase_epoch", "open_layers", "print_freq"),
        **_pick(test, "start_eval", "eval_freq", "dist_metric", "normalize_feature", "rerank"),
        save_dir=save_dir,
        ranks=list(test["ranks"]),
    )
