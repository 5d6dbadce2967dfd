"""Shared pieces of the Re-ID tests: the toy configs (configs/toy/reid/: teacher.py, student.py, kd.py,
dkd.py, ldrld.py) at one epoch, and tools/train_reid.py / tools/test_reid.py run in this process."""

import os

from tool_helpers import TOY, call_tool

TOY_REID = os.path.join(TOY, "reid")
TOY_CONFIG = os.path.join(TOY_REID, "ldrld.py")  # the toy student distilled with LDRLD
TOY_STUDENT = os.path.join(TOY_REID, "student.py")  # the toy network trained alone (teacher.py: the same)


def write_tiny_config(folder, base=TOY_CONFIG, name="tiny_reid.py", **sections):
    """An MMEngine config in ``folder`` over ``base`` (a toy config): one epoch, seed 0, updated section
    by section with ``sections`` (MMEngine merges each dict into the base's, ``distill_loss`` too)."""
    cfg = {"train": {"max_epoch": 1}, "randomness": {"seed": 0}}
    for key, values in sections.items():
        cfg.setdefault(key, {}).update(values)
    lines = [f"_base_ = [{os.fspath(base)!r}]"] + [f"{key} = {values!r}" for key, values in cfg.items()]
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run_tool(*argv):
    """Run tools/train_reid.py's ``main`` in this process: ``(exit code, stdout, stderr)``."""
    return call_tool("train_reid.py", *argv)


def run_test_tool(*argv):
    """Run tools/test_reid.py's ``main`` in this process: ``(exit code, stdout, stderr)``."""
    return call_tool("test_reid.py", *argv)


def run_on(config, root, work_dir, *argv):
    """``run_tool`` with ``config --data-root root --work-dir work_dir`` and ``argv``."""
    return run_tool(config, "--data-root", root, "--work-dir", work_dir, *argv)
