"""The Re-ID run configuration: a YAML file over documented defaults, then the command line.

``DEFAULTS`` is the schema: a YAML file may set any of these keys and no
others (a misspelt key is an error, not silently ignored). The values are the
recipe of ``configs/reid/market1501_r50_r18_ldrld.yaml`` (torchreid's
ResNet-50 softmax recipe for Market-1501; see docs/reid.md).
"""
import copy
import os

DEFAULTS = {
    "data": {
        "root": "data",                 # holds market1501/ as torchreid expects
        "height": 256, "width": 128,    # input size
        "transforms": ["random_flip"],  # torchreid's names
        "batch_size_train": 32, "batch_size_test": 100,
        "workers": 4,
    },
    "model": {
        "teacher": "resnet50", "student": "resnet18",
        "pretrained": True,             # ImageNet initialisation (torchreid downloads it once)
    },
    "train": {
        "optim": "amsgrad", "lr": 0.0003, "weight_decay": 0.0005,
        "max_epoch": 60,
        "lr_scheduler": "single_step", "stepsize": [20], "gamma": 0.1,
        "fixbase_epoch": 5, "open_layers": ["classifier"],
        "label_smooth": True,
        "print_freq": 20,
        "seed": 1,
    },
    "distill": {
        "loss": "ldrld",                # ldrld | kd | dkd | none (student alone)
        "ldrld": {"alpha": 1.0, "beta": 1.0, "depth": 7, "temperature": 4.0},
        "kd": {"loss_weight": 1.0, "temperature": 4.0},
        "dkd": {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "warmup": 5},
    },
    "test": {
        "dist_metric": "euclidean", "normalize_feature": False, "ranks": [1, 5, 10, 20],
    },
    "run": {
        "save_dir": "work_dirs/reid_market1501_r50_r18",
        "device": "auto",               # auto | cpu | cuda
    },
}

LOSS_CHOICES = ("ldrld", "kd", "dkd", "none")
LOSS_TYPES = {"ldrld": "LDRLDLoss", "kd": "KDLoss", "dkd": "DKDLoss"}


class ConfigError(ValueError):
    """A configuration file or option that cannot be used."""


def _merge(base, override, where):
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"unknown key {where}{key!r} in the Re-ID config; known keys at this level: "
                              f"{', '.join(sorted(base))}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{key} must be a mapping, got {value!r}")
            _merge(base[key], value, f"{where}{key}.")
        else:
            base[key] = value


def load_config(path=None) -> dict:
    """``DEFAULTS`` updated by the YAML file at ``path`` (when given)."""
    cfg = copy.deepcopy(DEFAULTS)
    if path is None:
        return cfg
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--config {path}: no such file (expected a YAML file like "
                                f"configs/reid/market1501_r50_r18_ldrld.yaml)")
    import yaml
    with open(path, encoding="utf-8") as handle:
        try:
            loaded = yaml.safe_load(handle) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"--config {path} is not valid YAML: {err}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"--config {path} must hold a mapping of sections ({', '.join(DEFAULTS)})")
    _merge(cfg, loaded, "")
    return cfg


def distill_loss_config(cfg) -> dict:
    """``ldrld_core.build_loss`` config of the selected distillation loss, with
    ``ce_weight=0``: torchreid's label-smoothed cross-entropy is the CE term."""
    name = cfg["distill"]["loss"]
    if name not in LOSS_CHOICES:
        raise ConfigError(f"distill.loss must be one of {', '.join(LOSS_CHOICES)}, got {name!r}")
    if name == "none":
        return None
    return dict(type=LOSS_TYPES[name], ce_weight=0.0, **cfg["distill"][name])


def apply_overrides(cfg, args) -> dict:
    """Command-line options over the config; each one names where it lands."""
    cfg = copy.deepcopy(cfg)
    simple = {
        "root": ("data", "root"), "batch_size": ("data", "batch_size_train"), "workers": ("data", "workers"),
        "max_epoch": ("train", "max_epoch"), "lr": ("train", "lr"), "seed": ("train", "seed"),
        "loss": ("distill", "loss"), "save_dir": ("run", "save_dir"), "device": ("run", "device"),
        "pretrained": ("model", "pretrained"),
    }
    for option, (section, key) in simple.items():
        value = getattr(args, option, None)
        if value is not None:
            cfg[section][key] = value
    loss = cfg["distill"]["loss"]
    if loss not in LOSS_CHOICES:
        raise ConfigError(f"distill.loss must be one of {', '.join(LOSS_CHOICES)}, got {loss!r}")
    # --alpha/--beta/--temperature/--depth set the selected loss's own arguments.
    targets = {"ldrld": {"alpha": "alpha", "beta": "beta", "temperature": "temperature", "depth": "depth"},
               "dkd": {"alpha": "alpha", "beta": "beta", "temperature": "temperature"},
               "kd": {"alpha": "loss_weight", "temperature": "temperature"},
               "none": {}}[loss]
    for option in ("alpha", "beta", "temperature", "depth"):
        value = getattr(args, option, None)
        if value is None:
            continue
        if option not in targets:
            raise ConfigError(f"--{option} does not apply to --loss {loss} (it sets: "
                              f"{', '.join('--' + o for o in targets) or 'nothing, no distillation'})")
        cfg["distill"][loss][targets[option]] = value
    return cfg
