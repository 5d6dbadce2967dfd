"""tools/train_cls.py end to end on generated CIFAR-100 data: a run with
checkpoints, TensorBoard and the reports; resuming from a saved epoch gives
the weights of an uninterrupted run; bad inputs end in one clear error line
and exit status 2, without a traceback."""

import glob
import json
import os
import subprocess
import sys

import pytest
import torch

from ldrld_cls.engine.smoke import write_random_teacher
from toy.cls import make_toy_dataset

from tool_helpers import ROOT, load_run_checkpoint, load_tool

CONFIG = os.path.join(ROOT, "configs", "cls", "cifar100", "resnet56_resnet20_ldrld.py")
VANILLA = os.path.join(ROOT, "configs", "cls", "cifar100", "vanilla", "resnet20.py")
# num_workers=0 alone: the tool turns the packaged persistent_workers off with it
QUICK = [
    "train_dataloader.batch_size=4",
    "val_dataloader.batch_size=8",
    "train_dataloader.num_workers=0",
    "val_dataloader.num_workers=0",
    "default_hooks.logger.interval=1",
    "randomness.seed=0",
]
main = load_tool("train_cls.py").main


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    base = tmp_path_factory.mktemp("cls_train")
    data = make_toy_dataset(
        "cifar100", str(base / "data"), seed=0, active_classes=4, train_per_class=3, val_per_class=2
    )
    teacher = write_random_teacher("resnet56", 100, "cifar", str(base / "resnet56_vanilla" / "ckpt_epoch_240.pth"))
    return {"base": base, "data": data, "teacher": teacher}


def train(assets, work_dir, epochs, *extra, config=CONFIG, teacher=None, options=()):
    """``train_cls.py`` for ``epochs`` epochs; the distillation config gets ``teacher`` (the assets' by default)."""
    teacher_args = ["--teacher-checkpoint", teacher or assets["teacher"]] if config == CONFIG else []
    argv = [config, "--data-root", assets["data"], "--work-dir", str(work_dir), *teacher_args, "--cfg-options"]
    return main([*argv, f"train_cfg.max_epochs={epochs}", *QUICK, *options, *extra])


def student_state(path):
    state = load_run_checkpoint(path)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith("student.")}


def test_resume_gives_the_weights_of_an_uninterrupted_run(assets, tmp_path, capsys):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert train(assets, whole, 2) == 0
    assert train(assets, parts, 1) == 0
    saved = sorted(os.path.basename(p) for p in glob.glob(str(parts / "*.pth")))
    assert saved == ["best_accuracy_top1_epoch_1.pth", "epoch_1.pth"]
    assert not glob.glob(str(parts / ".*.tmp"))  # atomic writes leave no temporary files
    assert train(assets, parts, 2, "--resume") == 0
    out = capsys.readouterr().out
    assert "resumed epoch: 1" in out
    a, b = student_state(whole / "epoch_2.pth"), student_state(parts / "epoch_2.pth")
    assert a.keys() == b.keys() and len(a) > 50
    for key in a:
        assert torch.equal(a[key], b[key]), key

    # the uninterrupted run's reports: ETA in the log, top-1/top-5 each epoch, best and last, Table 16
    assert "eta:" in out and "accuracy/top1" in out and "accuracy report: last top-1" in out
    assert "efficiency report (Table 16)" in out
    accuracy = json.loads((whole / "accuracy.json").read_text())
    assert accuracy["last"]["epoch"] == 2 and 0 <= accuracy["best"]["top1"] <= 100
    efficiency = json.loads((whole / "efficiency.json").read_text())
    assert efficiency["epochs"] == 2 and efficiency["seconds_per_epoch"] > 0 and efficiency["peak_rss_mib"] > 0
    assert glob.glob(str(whole / "*" / "vis_data" / "events.out.tfevents.*")), "no TensorBoard event file"
    assert (whole / "last_checkpoint").read_text().strip().endswith("epoch_2.pth")


def _error_line(capsys):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("train_cls.py: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_missing_dataset_root(assets, tmp_path, capsys):
    missing = tmp_path / "no_cifar"
    assert main([VANILLA, "--data-root", str(missing), "--work-dir", str(tmp_path / "w"), "--cfg-options", *QUICK]) == 2
    line = _error_line(capsys)
    assert f"data root {missing} does not exist" in line and "cifar-100-python" in line
    assert not (tmp_path / "w").exists()  # the run failed before training: nothing written


def test_unknown_model_name(assets, tmp_path, capsys):
    assert train(assets, tmp_path / "w", 1, options=["model.student.arch=resnet33"]) == 2
    line = _error_line(capsys)
    assert "unknown model name 'resnet33'" in line and "resnet32" in line


def test_teacher_checkpoint_of_another_architecture(assets, tmp_path, capsys):
    other = write_random_teacher("wrn_16_2", 100, "cifar", str(tmp_path / "wrn_16_2.pth"))
    assert train(assets, tmp_path / "w", 1, teacher=other) == 2
    line = _error_line(capsys)
    assert "model.teacher (arch='resnet56'" in line and f"checkpoint {other} does not fit" in line


def test_class_count_mismatch(assets, tmp_path, capsys):
    # the data holds CIFAR-100's 100 classes; a config for 10 classes must stop before training
    assert train(assets, tmp_path / "w", 1, config=VANILLA, options=["model.num_classes=10"]) == 2
    line = _error_line(capsys)
    assert "has 100 classes, but the model is built for 10" in line
    # a teacher trained for another class count
    ten = write_random_teacher("resnet56", 10, "cifar", str(tmp_path / "resnet56_10.pth"))
    assert train(assets, tmp_path / "w", 1, teacher=ten) == 2
    assert "trained for 10 classes" in _error_line(capsys)


def test_command_line_exit_status_without_traceback(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "tools", "train_cls.py"),
            VANILLA,
            "--data-root",
            str(tmp_path / "missing"),
            "--work-dir",
            str(tmp_path / "w"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stderr.strip().splitlines()[-1].startswith("train_cls.py: error: CIFAR-100: data root")
