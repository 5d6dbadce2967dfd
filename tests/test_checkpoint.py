"""The one teacher-checkpoint loader: formats, prefixes, strictness, safety."""

import collections

import numpy as np
import pytest
import torch
import torch.nn as nn

from ldrld_core import CheckpointError, load_checkpoint_into


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, classes)


class Opaque:  # an arbitrary class: needs full unpickling
    pass


class AllowedLater:  # allowed process-wide by one test only
    pass


def _weights_equal(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("wrap", ["raw", "model", "state_dict", "module_prefix"])
def test_formats_load_strictly(tmp_path, wrap):
    src = Net()
    state = src.state_dict()
    if wrap == "model":  # the KD literature's CIFAR teachers: {'model': ..., 'epoch': ...}
        obj = {"model": state, "epoch": 240, "accuracy": np.float64(79.42)}
    elif wrap == "state_dict":  # MMEngine / MMDetection
        obj = {"meta": {"epoch": 12, "seed": np.int64(0), "hist": np.arange(3)}, "state_dict": state}
    elif wrap == "module_prefix":  # DataParallel / DDP
        obj = collections.OrderedDict(("module." + k, v) for k, v in state.items())
    else:
        obj = state
    path = tmp_path / "teacher.pth"
    torch.save(obj, path)
    dst = Net()
    assert load_checkpoint_into(dst, path) == ([], [])
    assert _weights_equal(src, dst)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(CheckpointError, match="nowhere.pth: no such file"):
        load_checkpoint_into(Net(), tmp_path / "nowhere.pth")


def test_other_architecture_lists_keys(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"model": nn.Sequential(nn.Linear(4, 4)).state_dict()}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_into(Net(), path)
    text = str(err.value)
    assert str(path) in text and "missing keys (9)" in text and "unexpected keys (2): 0.weight, 0.bias" in text


def test_class_count_mismatch_is_a_shape_error_even_when_not_strict(tmp_path):
    path = tmp_path / "t.pth"
    torch.save(Net(classes=100).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"fc.weight: checkpoint \(100, 4\) vs model \(10, 4\)"):
        load_checkpoint_into(Net(classes=10), path, strict=False)


def test_prefix_selects_a_submodule(tmp_path):
    src = Net()
    path = tmp_path / "t.pth"
    torch.save({"state_dict": {"teacher." + k: v for k, v in src.state_dict().items()}}, path)
    dst = Net()
    load_checkpoint_into(dst, path, prefix="teacher.")
    assert _weights_equal(src, dst)


def test_untrusted_pickle_is_refused_and_trust_opts_in(tmp_path):
    src = Net()
    path = tmp_path / "pickled.pth"
    torch.save({"model": src.state_dict(), "extra": Opaque()}, path)
    with pytest.raises(CheckpointError, match="--trust-checkpoint") as err:
        load_checkpoint_into(Net(), path)
    assert str(path) in str(err.value) and "Opaque" in str(err.value)
    dst = Net()
    load_checkpoint_into(dst, path, trust=True)
    assert _weights_equal(src, dst)


def test_unreadable_and_empty_files(tmp_path):
    garbage = tmp_path / "garbage.pth"
    for content in (b"this is not a checkpoint", b"\x00 not a checkpoint", b"\x80\x02}q\x00"):
        garbage.write_bytes(content)
        with pytest.raises(CheckpointError, match="could not read checkpoint .*garbage.pth"):
            load_checkpoint_into(Net(), garbage)
    empty = tmp_path / "empty.pth"
    torch.save({"epoch": 3}, empty)
    with pytest.raises(CheckpointError, match="holds no weights"):
        load_checkpoint_into(Net(), empty)


def test_reading_a_checkpoint_keeps_process_wide_allowances(tmp_path):
    from ldrld_core import allow_in_weights_only

    allow_in_weights_only(AllowedLater)
    assert AllowedLater in torch.serialization.get_safe_globals()
    path = tmp_path / "t.pth"
    torch.save({"model": Net().state_dict(), "extra": AllowedLater()}, path)
    load_checkpoint_into(Net(), path)  # allowed now, without trust
    assert AllowedLater in torch.serialization.get_safe_globals()
    assert np.ndarray in torch.serialization.get_safe_globals()


class Tracker:  # pickles a bound method of its class, as MMEngine's HistoryBuffer does
    def __init__(self):
        self.methods = {"mean": Tracker.mean}

    def mean(self):
        return 0.0


def test_methods_pickled_through_getattr_load_only_for_allowed_classes(tmp_path):
    import pickle

    from ldrld_core import allow_methods_in_weights_only
    from ldrld_core.checkpoint import _owned_method

    path = tmp_path / "t.pth"
    torch.save({"model": Net().state_dict(), "log": Tracker()}, path)
    with pytest.raises(CheckpointError, match="Tracker"):
        load_checkpoint_into(Net(), path)
    allow_methods_in_weights_only(Tracker)
    load_checkpoint_into(Net(), path)
    assert _owned_method(Tracker, "mean") is Tracker.mean
    with pytest.raises(pickle.UnpicklingError, match="only for public methods"):
        _owned_method(Tracker, "__class__")
    with pytest.raises(pickle.UnpicklingError, match="only for public methods"):
        _owned_method(Net, "load_state_dict")


def test_an_older_torch_gets_one_sentence_at_import():
    """setup.cfg says torch>=2.5: the weights-only loading needs torch.serialization.safe_globals and
    get_unsafe_globals_in_checkpoint. The real torch, reporting an older version, gets one sentence."""
    import os
    import subprocess
    import sys

    from ldrld_core._torch_version import require_torch

    for ok in ("2.5.0", "2.14.1+cu130", "3.0.0a0+git"):
        require_torch(ok)
    with pytest.raises(ImportError, match=r"needs torch >= 2\.5 .* but torch 2\.4\.1\+cpu is installed"):
        require_torch("2.4.1+cpu")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = "import torch; torch.__version__ = '2.1.2'; import ldrld_core"
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ldrld needs torch >= 2.5") and "torch 2.1.2 is installed" in last
    assert proc.stderr.count("ldrld needs torch") == 1
    with open(os.path.join(root, "setup.cfg"), encoding="utf-8") as handle:
        assert "torch>=2.5\n" in handle.read()


def test_a_runs_work_dir_stands_for_the_checkpoint_it_wrote_last(tmp_path):
    """--teacher-checkpoint, init_checkpoint and plot_corr take a run's work dir: the checkpoint its
    last_checkpoint file names (MMEngine's, or train_reid.py's), never a predicted file name."""
    from ldrld_core.checkpoint import run_checkpoint, write_last_checkpoint

    run = tmp_path / "run"
    (run / "epoch_3").mkdir(parents=True)
    weights = run / "epoch_3" / "model.pth"
    torch.save({"state_dict": Net().state_dict()}, weights)
    assert run_checkpoint(weights) == str(weights)  # a file is itself
    with pytest.raises(CheckpointError) as err:
        run_checkpoint(run, "--teacher-checkpoint")
    assert str(err.value).startswith(f"--teacher-checkpoint {run}: a folder without last_checkpoint")
    write_last_checkpoint(run, weights)
    assert run_checkpoint(run) == str(weights) and (run / "last_checkpoint").read_text() == str(weights)
    (run / "last_checkpoint").write_text("epoch_3/model.pth\n")  # MMEngine may write it relative to the work dir
    assert run_checkpoint(run) == str(weights)
    weights.unlink()
    with pytest.raises(CheckpointError, match="names .*model.pth, which does not exist"):
        run_checkpoint(run, "model.init_checkpoint")
