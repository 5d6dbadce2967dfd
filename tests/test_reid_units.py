"""Re-ID pieces on their own: atomic checkpoints, torchreid's checkpoints, the config (MMEngine's Config):
its defaults file, its shipped recipes, and the rules of a config that trains one network (a teacher and a
distillation loss together or neither; the keys of the two-stage configs refused with what to write)."""

import os
import pickle
import stat

import numpy as np
import pytest
import torch

from ldrld_core import CheckpointError, build_loss
from ldrld_core.atomic_io import atomic_torch_save
from ldrld_reid import compat
from ldrld_reid.checkpoint import load_model_checkpoint, write_json_atomic
from ldrld_reid.config import DEFAULTS, ConfigError, apply_cfg_options, distill_loss_config, load_config

from reid_helpers import TOY_CONFIG, TOY_REID, TOY_STUDENT, run_tool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(REPO, "configs", "reid")
LDRLD = os.path.join(RECIPES, "market1501_r50_r18_ldrld.py")


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


def test_the_defaults_file_is_the_schema_less_the_distillation_keys():
    """configs/reid/_base_/torchreid_defaults.py, as MMEngine reads it (nothing dropped), is DEFAULTS without
    ``teacher`` and ``distill_loss``: a config that inherits it trains its model alone."""
    from mmengine.config import Config

    path = os.path.join(RECIPES, "_base_", "torchreid_defaults.py")
    assert Config.fromfile(path).to_dict() == {
        k: v for k, v in DEFAULTS.items() if k not in ("teacher", "distill_loss")
    }
    assert DEFAULTS["teacher"] is None and DEFAULTS["distill_loss"] is None
    cfg = load_config(path)
    assert cfg["teacher"] is None and cfg["distill_loss"] is None and distill_loss_config(cfg) is None


def test_shipped_config_is_the_documented_recipe():
    cfg = load_config(LDRLD)
    assert (cfg["data"]["height"], cfg["data"]["width"], cfg["train"]["batch_size"]) == (256, 128, 32)
    assert cfg["teacher"] == {"name": "resnet50", "checkpoint": None}  # --teacher-checkpoint sets it
    assert cfg["model"]["name"] == "resnet18" and cfg["model"]["pretrained"]
    assert cfg["train"]["optim"] == "amsgrad" and cfg["train"]["max_epoch"] == 60
    assert cfg["train"]["fixbase_epoch"] == 5 and cfg["loss"]["softmax"]["label_smooth"]
    assert distill_loss_config(cfg) == dict(
        type="LDRLDLoss", ce_weight=0.0, alpha=9.5, beta=1.0, depth=7, temperature=4.0
    )  # Table 11's optimum, the paper's T and d
    # the teacher and the student alone: the same recipe, no teacher, no loss
    for name, arch in (("market1501_r50.py", "resnet50"), ("market1501_r18.py", "resnet18")):
        alone = load_config(os.path.join(RECIPES, name))
        assert alone["model"]["name"] == arch and alone["teacher"] is None and distill_loss_config(alone) is None
        assert {k: v for k, v in alone.items() if k not in ("model", "work_dir")} == {
            k: v for k, v in cfg.items() if k not in ("model", "work_dir", "teacher", "distill_loss")
        } | {"teacher": None, "distill_loss": None}
    losses = {"kd": ("KDLoss", "loss_weight"), "dkd": ("DKDLoss", "beta"), "ldrld": ("LDRLDLoss", "depth")}
    for loss, (kind, key) in losses.items():
        distil = load_config(os.path.join(RECIPES, f"market1501_r50_r18_{loss}.py"))
        assert distil["teacher"]["name"] == "resnet50" and distil["model"]["name"] == "resnet18"
        built = build_loss(distill_loss_config(distil))  # each builds, with the CE term left to torchreid
        assert type(built).__name__ == kind and built.ce_weight == 0.0 and key in distil["distill_loss"]
        assert distil["work_dir"] == f"work_dirs/reid/market1501_r50_r18_{loss}"


def test_config_keys_are_torchreids_own_and_files_inherit_with_mmengine_base(tmp_path):
    """The defaults are torchreid's (scripts/default_config.py); a recipe is an MMEngine config that
    states only what differs, and a child inherits it with ``_base_``."""
    from ldrld_reid.config import run_kwargs

    assert DEFAULTS["train"]["batch_size"] == 32 and DEFAULTS["test"]["eval_freq"] == -1
    assert DEFAULTS["model"]["name"] == "resnet50" and DEFAULTS["train"]["optim"] == "adam"
    for shipped in (LDRLD, os.path.join(RECIPES, "_base_", "market1501_softmax.py")):
        text = open(shipped).read()
        assert "lr=" not in text and "max_epoch=" not in text  # torchreid's defaults, not repeated
    (tmp_path / "child.py").write_text(f"_base_ = [{LDRLD!r}]\ntrain = dict(max_epoch=3)\n")
    cfg = load_config(str(tmp_path / "child.py"))
    assert cfg["train"]["max_epoch"] == 3 and cfg["train"]["optim"] == "amsgrad"
    assert cfg["distill_loss"]["type"] == "LDRLDLoss" and cfg["teacher"]["name"] == "resnet50"  # inherited whole
    assert run_kwargs(cfg, "x")["max_epoch"] == 3 and run_kwargs(cfg, "x")["eval_freq"] == 5
    assert cfg["work_dir"] == "work_dirs/reid/market1501_r50_r18_ldrld"  # the base's; without one, work_dirs/<name>
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
    with pytest.raises(ConfigError, match=r"--cfg-options test\.evalfreq=1: unknown key test\.'evalfreq'"):
        apply_cfg_options(load_config(), {"test.evalfreq": 1})
    teacher = (
        r"--cfg-options teacher\.arch='resnet50': unknown key teacher\.'arch'.*a teacher has \('name', 'checkpoint'\)"
    )
    with pytest.raises(ConfigError, match=teacher):
        apply_cfg_options(load_config(TOY_CONFIG), {"teacher.arch": "resnet50"})
    with pytest.raises(ConfigError, match="distill_loss must be a dict or None, got 'KDLoss'"):
        apply_cfg_options(load_config(TOY_CONFIG), {"distill_loss": "KDLoss"})


def _one_sentence(err, starts):
    message = str(err.value)
    assert "\n" not in message and starts in message, message
    return message


def test_the_keys_of_the_two_stage_configs_are_refused_with_what_to_write_instead(tmp_path):
    """``distill`` and ``teacher.pretrained`` / ``teacher.init_checkpoint``, in a file, in --cfg-options and
    through tools/train_reid.py: one sentence naming the key and what a config says now."""
    (tmp_path / "distill.py").write_text(f"_base_ = [{TOY_STUDENT!r}]\ndistill = dict(loss='kd')\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(tmp_path / "distill.py"))
    message = _one_sentence(err, "distill: Re-ID configs take distill_loss=dict(type='LDRLDLoss', ...)")
    assert message.startswith(f"config {tmp_path / 'distill.py'}: distill: ")
    assert "teacher=dict(name=..., checkpoint=...)" in message and "market1501_r50_r18_ldrld.py" in message
    with pytest.raises(ConfigError) as err:
        apply_cfg_options(load_config(TOY_STUDENT), {"distill.ldrld.alpha": 2.0})
    assert _one_sentence(err, "distill: Re-ID configs take distill_loss=").startswith(
        "--cfg-options distill.ldrld.alpha"
    )

    (tmp_path / "pretrained.py").write_text(
        f"_base_ = [{TOY_STUDENT!r}]\nteacher = dict(name='resnet18', pretrained=True)\n"
        "distill_loss = dict(type='KDLoss')\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(str(tmp_path / "pretrained.py"))
    message = _one_sentence(err, "teacher.pretrained: the teacher trains as the model of a config of its own now")
    assert "model.pretrained there" in message and "teacher has name and checkpoint only" in message
    for key in ("pretrained", "init_checkpoint"):
        with pytest.raises(ConfigError) as err:
            apply_cfg_options(load_config(TOY_CONFIG), {f"teacher.{key}": False})
        _one_sentence(err, f"teacher.{key}: the teacher trains as the model of a config of its own now (model.{key}")

    code, out, err = run_tool(tmp_path / "distill.py", "--work-dir", tmp_path / "run")
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("train_reid.py: error: config ") and "distill: Re-ID configs take distill_loss=" in err
    assert not (tmp_path / "run").exists()  # refused before anything is written


def test_a_loss_needs_a_teacher_and_a_teacher_a_loss():
    student = load_config(TOY_STUDENT)
    assert student["teacher"] is None and distill_loss_config(student) is None
    lonely_loss = apply_cfg_options(student, {"distill_loss.type": "KDLoss"})
    with pytest.raises(
        ConfigError, match=r"^distill_loss is set but teacher=dict\(name=ARCH, checkpoint=PATH\) is not"
    ):
        distill_loss_config(lonely_loss)
    lonely_teacher = apply_cfg_options(student, {"teacher.name": "resnet18"})
    assert lonely_teacher["teacher"] == {"name": "resnet18"}
    with pytest.raises(ConfigError, match=r"^teacher is set but distill_loss=dict\(type='LDRLDLoss', \.\.\.\) is not"):
        distill_loss_config(lonely_teacher)
    distilled = load_config(TOY_CONFIG)
    alone = apply_cfg_options(distilled, {"teacher": None, "distill_loss": None})  # the student alone again
    assert distill_loss_config(alone) is None
    with pytest.raises(ConfigError, match="^distill_loss is set but teacher"):
        distill_loss_config(apply_cfg_options(distilled, {"teacher": None}))
    untyped = dict(distilled, distill_loss={"alpha": 1.0})
    with pytest.raises(ConfigError, match=r"^distill_loss \{'alpha': 1.0\}: no type; expected e\.g\."):
        distill_loss_config(untyped)


def test_cfg_options_set_one_loss_key_and_keep_the_others():
    """``--cfg-options distill_loss.alpha=2.0`` changes alpha only (``distill_loss`` is set whole in a file,
    key by key on the command line); ``distill_loss_config`` adds ``ce_weight=0`` (torchreid's label-smoothed
    cross-entropy is the CE term) and keeps a ce_weight the config states."""
    ldrld = load_config(TOY_CONFIG)
    assert ldrld["distill_loss"] == dict(type="LDRLDLoss", alpha=9.5, beta=1.0, depth=7, temperature=4.0)
    assert "ce_weight" not in ldrld["distill_loss"]
    two = apply_cfg_options(ldrld, {"distill_loss.alpha": 2.0})
    assert two["distill_loss"] == dict(ldrld["distill_loss"], alpha=2.0)
    assert distill_loss_config(two) == dict(
        type="LDRLDLoss", ce_weight=0.0, alpha=2.0, beta=1.0, depth=7, temperature=4.0
    )
    assert ldrld["distill_loss"]["alpha"] == 9.5  # the config given is left as it was
    five = apply_cfg_options(ldrld, {"distill_loss.beta": 2.0, "distill_loss.depth": 5})
    assert distill_loss_config(five)["depth"] == 5 and distill_loss_config(five)["alpha"] == 9.5
    assert build_loss(distill_loss_config(five)).ce_weight == 0.0
    assert apply_cfg_options(ldrld, {"teacher.checkpoint": "t.pth"})["teacher"] == {
        "name": "resnet18",
        "checkpoint": "t.pth",
    }

    kd = load_config(os.path.join(TOY_REID, "kd.py"))
    kd = apply_cfg_options(kd, {"distill_loss.loss_weight": 2.0, "distill_loss.temperature": 3.0})
    assert distill_loss_config(kd) == dict(type="KDLoss", ce_weight=0.0, loss_weight=2.0, temperature=3.0)
    assert distill_loss_config(dict(kd, distill_loss=dict(kd["distill_loss"], ce_weight=0.5)))["ce_weight"] == 0.5
    dkd = apply_cfg_options(load_config(os.path.join(TOY_REID, "dkd.py")), {"distill_loss.depth": 5})
    with pytest.raises(ConfigError, match="bad arguments for DKDLoss: .*unexpected keyword argument 'depth'"):
        build_loss(distill_loss_config(dkd))  # a key the selected loss does not take


def test_compat_names_both_layouts_when_a_module_is_missing():
    assert compat.utils().set_random_seed and compat.image_softmax_engine().__name__ == "ImageSoftmaxEngine"
    with pytest.raises(ImportError, match=r"torchreid\.no_such_part.*torchreid\.reid\.no_such_part"):
        compat.submodule("no_such_part")
