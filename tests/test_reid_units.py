"""Re-ID pieces on their own: atomic checkpoints, torchreid's checkpoints, the config (MMEngine's Config)."""

import argparse
import os
import pickle
import stat

import numpy as np
import pytest
import torch

from ldrld_core import CheckpointError
from ldrld_core.atomic_io import atomic_torch_save
from ldrld_reid import compat
from ldrld_reid.checkpoint import load_model_checkpoint, write_json_atomic
from ldrld_reid.config import ConfigError, apply_overrides, distill_loss_config, load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_atomic_save_keeps_the_previous_file_when_saving_fails(tmp_path):
    path = tmp_path / "ckpt" / "last.pth"
    atomic_torch_save({"epoch": 1, "w": torch.ones(3)}, path)
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):  # a lambda does not pickle
        atomic_torch_save({"epoch": 2, "w": torch.zeros(3), "bad": lambda: None}, path)  # pickling fails midway
    assert torch.load(path, weights_only=True)["epoch"] == 1
    assert os.listdir(path.parent) == ["last.pth"]  # no temporary file left behind
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask  # an ordinary file's mode, not mkstemp's 0600
    write_json_atomic({"rank1": 0.5}, tmp_path / "r.json")
    assert (tmp_path / "r.json").read_text().strip().startswith("{")


def _torchreid_checkpoint(folder, num_classes):
    """A checkpoint written by torchreid's own save_checkpoint, as its engine writes it."""
    model = compat.models().build_model("resnet18", num_classes, loss="softmax", pretrained=False)
    optimizer = compat.optim().build_optimizer(model, optim="amsgrad", lr=3e-4)
    scheduler = compat.optim().build_lr_scheduler(optimizer, lr_scheduler="multi_step", stepsize=[20, 40])
    compat.utils().save_checkpoint(
        {
            "state_dict": model.state_dict(),
            "epoch": 60,
            "rank1": np.float32(0.9),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        str(folder),
    )
    return model, os.path.join(folder, "model.pth.tar-60")


def test_torchreid_checkpoints_load_as_teachers_under_weights_only(tmp_path, capsys):
    source, path = _torchreid_checkpoint(tmp_path, num_classes=6)
    teacher = compat.models().build_model("resnet18", 6, loss="softmax", pretrained=False)
    load_model_checkpoint(teacher, path, expected_classes=6)
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(), teacher.state_dict().values()))
    with pytest.raises(CheckpointError, match="classifies 6 identities but the training data has 751"):
        load_model_checkpoint(teacher, path, expected_classes=751)


def test_missing_teacher_file_names_it(tmp_path):
    model = compat.models().build_model("resnet18", 6, loss="softmax", pretrained=False)
    with pytest.raises(CheckpointError, match="nowhere.pth: no such file"):
        load_model_checkpoint(model, tmp_path / "nowhere.pth", expected_classes=6)


def test_shipped_config_is_the_documented_recipe():
    cfg = load_config(os.path.join(REPO, "configs", "reid", "market1501_r50_r18_ldrld.py"))
    assert (cfg["data"]["height"], cfg["data"]["width"], cfg["train"]["batch_size"]) == (256, 128, 32)
    assert (cfg["teacher"]["name"], cfg["model"]["name"]) == ("resnet50", "resnet18")
    assert cfg["train"]["optim"] == "amsgrad" and cfg["train"]["max_epoch"] == 60
    assert cfg["train"]["fixbase_epoch"] == 5 and cfg["loss"]["softmax"]["label_smooth"]
    assert distill_loss_config(cfg) == dict(
        type="LDRLDLoss", ce_weight=0.0, alpha=9.5, beta=1.0, depth=7, temperature=4.0, warmup=0.0
    )  # Table 11's optimum, the paper's T and d


def test_config_keys_are_torchreids_own_and_files_inherit_with_mmengine_base(tmp_path):
    """The defaults are torchreid's (scripts/default_config.py); a recipe is an MMEngine config that
    states only what differs, and a child inherits it with ``_base_``."""
    from ldrld_reid.config import DEFAULTS, run_kwargs

    assert DEFAULTS["train"]["batch_size"] == 32 and DEFAULTS["test"]["eval_freq"] == -1
    assert DEFAULTS["model"]["name"] == "resnet50" and DEFAULTS["train"]["optim"] == "adam"
    base = os.path.join(REPO, "configs", "reid", "market1501_r50_r18_ldrld.py")
    shipped = open(base).read()
    assert "lr=" not in shipped and "max_epoch=" not in shipped  # torchreid's defaults, not repeated
    (tmp_path / "child.py").write_text(f"_base_ = [{base!r}]\ntrain = dict(max_epoch=3)\n")
    cfg = load_config(str(tmp_path / "child.py"))
    assert cfg["train"]["max_epoch"] == 3 and cfg["train"]["optim"] == "amsgrad"
    assert run_kwargs(cfg, "x")["max_epoch"] == 3 and run_kwargs(cfg, "x")["eval_freq"] == 5
    assert cfg["work_dir"] == "work_dirs/reid_market1501_r50_r18"  # the base's; without one, work_dirs/<name>
    (tmp_path / "alone.py").write_text("task = 'reid'\n")
    assert load_config(str(tmp_path / "alone.py"))["work_dir"] == os.path.join("work_dirs", "alone")


def test_config_rejects_unknown_keys_and_other_tasks(tmp_path):
    path = tmp_path / "typo.py"
    path.write_text("train = dict(max_epochs=3)\n")
    with pytest.raises(ConfigError, match="unknown key train.'max_epochs'"):
        load_config(str(path))
    (tmp_path / "det.py").write_text("task = 'det'\n")
    with pytest.raises(ConfigError, match="task 'det'"):
        load_config(str(tmp_path / "det.py"))
    unknown = r"--cfg-options distill\.ldrld\.gamma=1: unknown key distill\.ldrld\.'gamma'"
    with pytest.raises(ConfigError, match=unknown):
        apply_overrides(load_config(), argparse.Namespace(cfg_options={"distill.ldrld.gamma": 1}))


def test_options_land_on_the_selected_loss():
    base = load_config()
    kd = apply_overrides(base, argparse.Namespace(loss="kd", alpha=2.0, temperature=3.0))
    assert distill_loss_config(kd) == dict(type="KDLoss", ce_weight=0.0, loss_weight=2.0, temperature=3.0, warmup=0.0)
    ldrld = apply_overrides(base, argparse.Namespace(alpha=5.0, beta=2.0, depth=5))
    assert distill_loss_config(ldrld)["alpha"] == 5.0 and distill_loss_config(ldrld)["depth"] == 5
    with pytest.raises(ConfigError, match="--depth does not apply to --loss dkd"):
        apply_overrides(base, argparse.Namespace(loss="dkd", depth=5))


def test_compat_names_both_layouts_when_a_module_is_missing():
    assert compat.utils().set_random_seed and compat.image_softmax_engine().__name__ == "ImageSoftmaxEngine"
    with pytest.raises(ImportError, match=r"torchreid\.no_such_part.*torchreid\.reid\.no_such_part"):
        compat.submodule("no_such_part")
