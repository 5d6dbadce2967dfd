"""The config keys a sweep sets (``--grid KEY=...`` and ``--extra --cfg-options KEY=...``) checked
against the config before anything runs: a key the config does not have would otherwise start
every run of the grid and fail in each (on a cluster, dozens of wasted jobs)."""

import difflib

from ldrld_core.errors import InputError


def cfg_option_keys(extra) -> list:
    """The keys of ``--cfg-options KEY=VALUE ...`` inside the arguments ``extra`` passes to every run."""
    keys, inside = [], False
    for arg in extra or ():
        if arg == "--cfg-options":
            inside = True
        elif arg.startswith("--"):
            inside = False
        elif inside and "=" in arg:
            keys.append(arg.partition("=")[0])
    return keys


def config_tree(config, task=None):
    """The config as nested dicts and lists: MMEngine's merged config (its ``_base_`` chain)."""
    from mmengine.config import Config

    return Config.fromfile(config).to_dict()


def _children(node):
    if isinstance(node, dict):
        return {str(k): v for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return {str(k): v for k, v in enumerate(node)}
    return {}


def _all_keys(node, prefix="", depth=0):
    for name, child in _children(node).items():
        key = f"{prefix}{name}"
        yield key
        if depth < 6:
            yield from _all_keys(child, key + ".", depth + 1)


def missing_key(tree, key):
    """``None`` when ``key`` (dotted) names an entry of ``tree``, else ``(the part that exists, its
    value, the keys nearest to key)``."""
    node, found = tree, []
    for part in key.split("."):
        children = _children(node)
        if part not in children:
            break
        node, found = children[part], found + [part]
    else:
        return None
    prefix = ".".join(found)
    siblings = [f"{prefix}.{k}" if prefix else k for k in _children(node)]
    near = difflib.get_close_matches(key, siblings, n=3, cutoff=0.5)
    near += [k for k in difflib.get_close_matches(key, list(_all_keys(tree)), n=3, cutoff=0.75) if k not in near]
    return prefix, node, (near or sorted(siblings))[:3]


def check_keys(config, task, grid_keys, extra=()) -> None:
    """Raise ``InputError`` naming the first ``--grid`` or ``--cfg-options`` key that ``config`` lacks
    and the keys nearest to it."""
    keys = [(k, "--grid") for k in grid_keys] + [(k, "--extra --cfg-options") for k in cfg_option_keys(extra)]
    if not keys:
        return
    tree = config_tree(config, task)
    for key, where in [] if tree is None else keys:
        missing = missing_key(tree, key)
        if missing is None:
            continue
        prefix, node, near = missing
        if not prefix:
            has = "no such top-level key"
        elif _children(node) or isinstance(node, (dict, list, tuple)):
            has = f"{prefix} has no {key[len(prefix) :].lstrip('.')!r}"
        else:
            has = f"{prefix} is {node!r}, which holds no keys"
        raise InputError(
            f"{where} {key}: config {config} has no such key ({has}); nearest keys: {', '.join(near) or 'none'}"
        )
