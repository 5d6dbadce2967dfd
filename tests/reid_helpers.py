"""Shared pieces of the Re-ID tests: a tiny CPU recipe and an in-process tools/train_reid.py."""
import contextlib
import importlib.util
import io
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "train_reid.py")

# The real recipe shrunk for 2 CPU cores: 64x32 input, batch 8, one epoch, no
# ImageNet download, no data-loading processes, no frozen-base epochs.
TINY = {
    "data": {"height": 64, "width": 32, "batch_size_train": 8, "batch_size_test": 16, "workers": 0},
    "model": {"pretrained": False},
    "train": {"max_epoch": 1, "fixbase_epoch": 0, "print_freq": 2, "seed": 0},
    "run": {"device": "cpu"},
}


def write_tiny_config(folder, **sections):
    """A YAML recipe in ``folder``: TINY updated section by section with ``sections``."""
    cfg = {name: dict(values) for name, values in TINY.items()}
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    path = os.path.join(folder, "tiny_reid.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(cfg, handle)
    return path


def _load_tool():
    spec = importlib.util.spec_from_file_location("train_reid_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*argv):
    """Run tools/train_reid.py's ``main`` in this process: ``(exit code, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _load_tool().main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()
