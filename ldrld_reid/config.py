"""The Re-ID run configuration: an MMEngine config file over one set of defaults, then the command line.

Re-ID configs are MMEngine's ``Config`` files (Python, ``configs/reid/``), as the detection and
classification configs are: ``_base_`` inheritance, ``--cfg-options KEY=VALUE`` and dumping come
from MMEngine. The keys inside are torchreid's own (``scripts/default_config.py`` of
deep-person-reid: ``model.name``, ``data.root``, ``train.batch_size``, ``test.eval_freq`` ...) with
their default values, so a torchreid recipe reads the same here; this toolkit adds ``teacher``
(the frozen teacher's architecture and weights), ``distill`` (the loss added to the
cross-entropy), ``device``, and MMEngine's ``work_dir`` and ``randomness.seed``. ``DEFAULTS`` is
also the schema: a config file or ``--cfg-options`` may set these keys and no others (a misspelt
key is an error, not silently ignored).
"""

import copy
import os

from ldrld_core.errors import ConfigError

TASK = "reid"  # what a Re-ID config says it is (``task = 'reid'``), so a sweep knows its tool
DEFAULTS = {
    "task": TASK,
    # init_checkpoint: initial weights of your own (a backbone state dict, loaded non-strictly:
    # ldrld_reid.init_weights) instead of, or after, torchreid's ImageNet ones (pretrained)
    "model": {"name": "resnet50", "pretrained": True, "init_checkpoint": None},  # the network trained (the student)
    "teacher": {"name": "resnet50", "pretrained": True, "init_checkpoint": None},  # the frozen teacher
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
    "distill": {
        "loss": "ldrld",  # ldrld | kd | dkd | none (student alone)
        # warmup: epochs over which the distillation terms ramp in (every ldrld_core loss)
        "ldrld": {"alpha": 1.0, "beta": 1.0, "depth": 7, "temperature": 4.0, "warmup": 0.0},
        "kd": {"loss_weight": 1.0, "temperature": 4.0, "warmup": 0.0},
        "dkd": {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "warmup": 5},
    },
    "randomness": {"seed": 1},  # torchreid's train.seed, under MMEngine's name
    "device": "auto",  # auto | cpu | cuda
    "work_dir": None,  # checkpoints, logs and results; None: work_dirs/<config path under configs/>
}
EXAMPLE = "configs/reid/market1501_r50_r18_ldrld.py"

LOSS_CHOICES = ("ldrld", "kd", "dkd", "none")
LOSS_TYPES = {"ldrld": "LDRLDLoss", "kd": "KDLoss", "dkd": "DKDLoss"}


def _merge(base, override, where):
    for key, value in override.items():
        if key not in base:
            raise ConfigError(
                f"unknown key {where}{key!r} in the Re-ID config; known keys at this level: {', '.join(sorted(base))}"
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{key} must be a mapping, got {value!r}")
            _merge(base[key], value, f"{where}{key}.")
        else:
            base[key] = value


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
    """``ldrld_core.build_loss`` config of the selected distillation loss, with
    ``ce_weight=0``: torchreid's label-smoothed cross-entropy is the CE term."""
    name = cfg["distill"]["loss"]
    if name not in LOSS_CHOICES:
        raise ConfigError(f"distill.loss must be one of {', '.join(LOSS_CHOICES)}, got {name!r}")
    if name == "none":
        return None
    return dict(type=LOSS_TYPES[name], ce_weight=0.0, **cfg["distill"][name])


OPTIONS = {  # command-line option -> (section, key); None: a top-level key
    "data_root": ("data", "root"),
    "batch_size": ("train", "batch_size"),
    "workers": ("data", "workers"),
    "max_epoch": ("train", "max_epoch"),
    "lr": ("train", "lr"),
    "seed": ("randomness", "seed"),
    "loss": ("distill", "loss"),
    "work_dir": (None, "work_dir"),
    "pretrained": ("model", "pretrained"),
    "eval_freq": ("test", "eval_freq"),
}


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


def apply_overrides(cfg, args) -> dict:
    """Command-line options over the config; each one names where it lands."""
    cfg = apply_cfg_options(cfg, getattr(args, "cfg_options", None))
    for option, (section, key) in OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            (cfg if section is None else cfg[section])[key] = value
    if getattr(args, "pretrained", None) is not None:
        cfg["teacher"]["pretrained"] = args.pretrained
    if getattr(args, "device", None) is not None:
        cfg["device"] = args.device
    loss = cfg["distill"]["loss"]
    if loss not in LOSS_CHOICES:
        raise ConfigError(f"distill.loss must be one of {', '.join(LOSS_CHOICES)}, got {loss!r}")
    # --alpha/--beta/--temperature/--depth set the selected loss's own arguments.
    targets = {
        "ldrld": {"alpha": "alpha", "beta": "beta", "temperature": "temperature", "depth": "depth"},
        "dkd": {"alpha": "alpha", "beta": "beta", "temperature": "temperature"},
        "kd": {"alpha": "loss_weight", "temperature": "temperature"},
        "none": {},
    }[loss]
    for option in ("alpha", "beta", "temperature", "depth"):
        value = getattr(args, option, None)
        if value is None:
            continue
        if option not in targets:
            raise ConfigError(
                f"--{option} does not apply to --loss {loss} (it sets: "
                f"{', '.join('--' + o for o in targets) or 'nothing, no distillation'})"
            )
        cfg["distill"][loss][targets[option]] = value
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
