"""Shared pieces of the Re-ID tests: the toy recipe (configs/toy/reid/) at one epoch, and
tools/train_reid.py run in this process."""

import os

from tool_helpers import TOY, call_tool

TOY_CONFIG = os.path.join(TOY, "reid", "market1501_toy.py")


def write_tiny_config(folder, **sections):
    """An MMEngine config in ``folder``: the toy recipe, one epoch, seed 0, updated section by section
    with ``sections`` (MMEngine merges each dict into the base's)."""
    cfg = {"train": {"max_epoch": 1}, "randomness": {"seed": 0}}
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    lines = [f"_base_ = [{TOY_CONFIG!r}]"] + [f"{name} = {values!r}" for name, values in cfg.items()]
    path = os.path.join(folder, "tiny_reid.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run_tool(*argv):
    """Run tools/train_reid.py's ``main`` in this process: ``(exit code, stdout, stderr)``."""
    return call_tool("train_reid.py", *argv)


def run_on(config, root, work_dir, *argv):
    """``run_tool`` with ``config --data-root root --work-dir work_dir`` and ``argv``."""
    return run_tool(config, "--data-root", root, "--work-dir", work_dir, *argv)
