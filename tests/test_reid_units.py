"""Re-ID pieces on their own: CMC/mAP mapping, atomic checkpoints, torchreid's checkpoints, the config."""
import argparse
import os
import stat

import numpy as np
import pytest
import torch

from ldrld_core import CheckpointError
from ldrld_reid import compat
from ldrld_reid.checkpoint import load_model_checkpoint, save_atomic, write_json_atomic
from ldrld_reid.config import ConfigError, apply_overrides, distill_loss_config, load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rank_metrics_pick_the_right_cmc_points():
    """Three queries whose first true match sits at rank 1, 7 and 15 of a 30-image gallery."""
    from ldrld_reid.evaluate import rank_metrics

    g_pids = np.arange(100, 130)
    g_cams = np.ones(30, dtype=int)
    q_pids = np.array([101, 102, 103])
    q_cams = np.zeros(3, dtype=int)
    distmat = np.zeros((3, 30), np.float32)
    for q, rank in enumerate((1, 7, 15)):  # non-matches at distances 1..29, the match just before `rank`
        match = int(np.where(g_pids == q_pids[q])[0][0])
        distmat[q, [j for j in range(30) if j != match]] = np.arange(1, 30)
        distmat[q, match] = rank - 0.5
    result = rank_metrics(distmat, q_pids, g_pids, q_cams, g_cams)
    assert result["rank1"] == pytest.approx(1 / 3) and result["rank5"] == pytest.approx(1 / 3)
    assert result["rank10"] == pytest.approx(2 / 3) and result["rank20"] == pytest.approx(1.0)
    assert result["mAP"] == pytest.approx((1 + 1 / 7 + 1 / 15) / 3)
    small = rank_metrics(distmat[:, :12], q_pids, g_pids[:12], q_cams, g_cams[:12])  # gallery < 20
    assert small["rank10"] == pytest.approx(2 / 3) and small["rank20"] == 1.0  # flat past rank 12


def test_atomic_save_keeps_the_previous_file_when_saving_fails(tmp_path):
    path = tmp_path / "ckpt" / "last.pth"
    save_atomic({"epoch": 1, "w": torch.ones(3)}, path)
    with pytest.raises(Exception):
        save_atomic({"epoch": 2, "w": torch.zeros(3), "bad": lambda: None}, path)  # pickling fails midway
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
    compat.utils().save_checkpoint({"state_dict": model.state_dict(), "epoch": 60, "rank1": np.float32(0.9),
                                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                                   str(folder))
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
    with pytest.raises(CheckpointError, match="not found: .*nowhere.pth"):
        load_model_checkpoint(model, tmp_path / "nowhere.pth", expected_classes=6)


def test_shipped_config_is_the_documented_recipe():
    cfg = load_config(os.path.join(REPO, "configs", "reid", "market1501_r50_r18_ldrld.yaml"))
    assert (cfg["data"]["height"], cfg["data"]["width"], cfg["data"]["batch_size_train"]) == (256, 128, 32)
    assert (cfg["model"]["teacher"], cfg["model"]["student"]) == ("resnet50", "resnet18")
    assert cfg["train"]["optim"] == "amsgrad" and cfg["train"]["max_epoch"] == 60 and cfg["train"]["label_smooth"]
    assert distill_loss_config(cfg) == dict(type="LDRLDLoss", ce_weight=0.0, alpha=1.0, beta=1.0, depth=7,
                                            temperature=4.0)


def test_config_rejects_unknown_keys(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("train:\n  max_epochs: 3\n")
    with pytest.raises(ConfigError, match="unknown key train.'max_epochs'"):
        load_config(str(path))


def test_options_land_on_the_selected_loss():
    base = load_config()
    kd = apply_overrides(base, argparse.Namespace(loss="kd", alpha=2.0, temperature=3.0))
    assert distill_loss_config(kd) == dict(type="KDLoss", ce_weight=0.0, loss_weight=2.0, temperature=3.0)
    ldrld = apply_overrides(base, argparse.Namespace(alpha=5.0, beta=2.0, depth=5))
    assert distill_loss_config(ldrld)["alpha"] == 5.0 and distill_loss_config(ldrld)["depth"] == 5
    with pytest.raises(ConfigError, match="--depth does not apply to --loss dkd"):
        apply_overrides(base, argparse.Namespace(loss="dkd", depth=5))


def test_compat_names_both_layouts_when_a_module_is_missing():
    assert compat.utils().set_random_seed and compat.image_softmax_engine().__name__ == "ImageSoftmaxEngine"
    with pytest.raises(ImportError, match=r"torchreid\.no_such_part.*torchreid\.reid\.no_such_part"):
        compat.submodule("no_such_part")
