"""ImageNet initialisations and teacher weights that an MMEngine config fetches at run time.

A config names them as ``init_cfg=dict(type='Pretrained', checkpoint=...)`` with
``torchvision://NAME``, ``open-mmlab://NAME`` or an ``http(s)://`` URL, and
MMEngine downloads them (from deep inside ``urllib``) when the weights are
initialised. Before a run starts, :func:`fetch_pretrained` fetches each of them
into torch's hub cache through :func:`ldrld_core.downloads.fetch` — the very
file MMEngine then reads without network — so that offline the run ends in one
sentence (the URL, the cache path, ``--no-pretrained``) before anything is
written. :func:`drop_pretrained` is ``--no-pretrained``: every such
initialisation is removed and the networks start from random weights.
"""

from ldrld_core.downloads import fetch
from ldrld_core.errors import ConfigError

SCHEMES = ("torchvision://", "modelzoo://", "open-mmlab://", "openmmlab://", "http://", "https://")
NO_PRETRAINED = "pass --no-pretrained to start those networks from random weights"


def is_remote(spec) -> bool:
    return isinstance(spec, str) and spec.startswith(SCHEMES)


def url_of(spec: str) -> str:
    """The download URL MMEngine uses for ``spec`` (``torchvision://resnet18`` ...)."""
    from mmengine.runner.checkpoint import get_external_models, get_torchvision_models

    if spec.startswith(("http://", "https://")):
        return spec
    for prefix, table in (
        ("torchvision://", get_torchvision_models),
        ("modelzoo://", get_torchvision_models),
        ("open-mmlab://", get_external_models),
        ("openmmlab://", get_external_models),
    ):
        if spec.startswith(prefix):
            name = spec[len(prefix) :]
            urls = table()
            if name not in urls:
                raise ConfigError(f"{spec}: MMEngine knows no model named {name!r} under {prefix}")
            url = urls[name]
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"{spec}: resolves to {url!r}, which is not a download URL")
            return url
    raise ConfigError(f"{spec}: not a download (expected one of {', '.join(SCHEMES)})")


def pretrained_inits(node, where="model"):
    """``[(where, init_cfg dict)]`` for every ``Pretrained`` init_cfg under ``node``."""
    found = []
    if isinstance(node, dict):
        init = node.get("init_cfg")
        for item in init if isinstance(init, list) else [init]:
            if isinstance(item, dict) and item.get("type") == "Pretrained":
                found.append((f"{where}.init_cfg", item))
        for key, value in node.items():
            if key != "init_cfg":
                found += pretrained_inits(value, f"{where}.{key}")
    elif isinstance(node, (list, tuple)):
        for k, value in enumerate(node):
            found += pretrained_inits(value, f"{where}[{k}]")
    return found


def drop_pretrained(node) -> int:
    """Remove every ``Pretrained`` init_cfg under ``node``; returns how many."""
    removed = 0
    if isinstance(node, dict):
        init = node.get("init_cfg")
        if isinstance(init, dict) and init.get("type") == "Pretrained":
            node["init_cfg"] = None
            removed += 1
        elif isinstance(init, list):
            kept = [i for i in init if not (isinstance(i, dict) and i.get("type") == "Pretrained")]
            removed += len(init) - len(kept)
            node["init_cfg"] = kept or None
        for key, value in node.items():
            if key != "init_cfg":
                removed += drop_pretrained(value)
    elif isinstance(node, (list, tuple)):
        removed += sum(drop_pretrained(v) for v in node)
    return removed


def fetch_pretrained(model_cfg) -> list:
    """Fetch every remote ``Pretrained`` initialisation of ``model_cfg`` into the hub cache."""
    paths = []
    for where, init in pretrained_inits(model_cfg):
        spec = init.get("checkpoint")
        if is_remote(spec):
            paths.append(fetch(url_of(spec), f"the ImageNet initialisation {where} ({spec})", NO_PRETRAINED))
    return paths


def fetch_teacher(spec, option="--teacher-checkpoint"):
    """A local path for a teacher checkpoint given as a path, a URL or ``torchvision://NAME``."""
    if not is_remote(spec):
        return spec
    return fetch(url_of(spec), f"the teacher weights ({spec})", f"download them elsewhere and pass {option} PATH")
