"""Shared pieces of the Re-ID tests: the toy recipe (configs/toy/reid/) at one epoch, and
tools/train_reid.py run in this process."""

import os

import yaml

from tool_helpers import TOY, call_tool

TOY_CONFIG = os.path.join(TOY, "reid", "market1501_toy.yaml")


def write_tiny_config(folder, **sections):
    """A YAML recipe in ``folder``: the toy recipe, one epoch, updated section by section with ``sections``."""
    cfg = {"_base_": TOY_CONFIG, "train": {"max_epoch": 1, "seed": 0}}
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    path = os.path.join(folder, "tiny_reid.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(cfg, handle)
    return path


def run_tool(*argv):
    """Run tools/train_reid.py's ``main`` in this process: ``(exit code, stdout, stderr)``."""
    return call_tool("train_reid.py", *argv)


def run_on(config, root, save_dir, *argv):
    """``run_tool`` with ``--config config --root root --save-dir save_dir`` and ``argv``."""
    return run_tool("--config", config, "--root", root, "--save-dir", save_dir, *argv)
