"""The classification fast path (ldrld_cls.engine.fast) on a CPU: the pieces that apply there
(data set on the device, channels_last, bfloat16 autocast), the same batches as the host loader,
a resumed --fast run equal to an uninterrupted one, and a clear error where a task has no fast path."""

import os

import pytest
import torch
from mmengine.runner import Runner

import ldrld_cls.engine  # noqa: F401  (registrations)
from ldrld_cls.engine import ClsDistiller
from toy.cls import make_toy_dataset
from toy.digits import make_digits

from tool_helpers import ROOT, load_run_checkpoint, load_tool

CONFIG = os.path.join(ROOT, "configs", "toy", "cls", "ldrld.py")
main = load_tool("train_cls.py").main

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_toy_dataset(
        "cifar100",
        str(tmp_path_factory.mktemp("fast") / "data"),
        seed=0,
        active_classes=4,
        train_per_class=6,
        val_per_class=2,
    )


def _loader(dataset, on_device):
    from ldrld_cls.engine.fast import on_device_loader

    cfg = dict(
        batch_size=5,
        num_workers=0,
        sampler=dict(type="DefaultSampler", shuffle=True),
        collate_fn=dict(type="default_collate"),
        dataset=dataset,
    )
    return Runner.build_dataloader(on_device_loader(cfg) if on_device else cfg, seed=3)


def test_on_device_batches_are_the_host_loaders_batches(data):
    dataset = dict(type="CIFAR100", data_root=data, split="train")
    host, device = _loader(dataset, False), _loader(dataset, True)
    assert len(host) == len(device) and len(host) > 2
    for a, b in zip(host, device):
        assert torch.equal(a["inputs"], b["inputs"]) and torch.equal(a["data_samples"], b["data_samples"])
        assert b["inputs"].dtype == torch.uint8 and b["inputs"].shape[1:] == (3, 32, 32)
    assert device.dataset.num_classes == host.dataset.num_classes


def test_on_device_refuses_a_folder_data_set_with_its_reason():
    from ldrld_cls.engine.fast import OnDevice

    with pytest.raises(ldrld_cls.errors.DatasetError, match="does not hold its images as one uint8"):
        OnDevice(torch.utils.data.TensorDataset(torch.zeros(2, 3)))


def test_channels_last_distiller():
    model = ClsDistiller(student=dict(arch="resnet8"), num_classes=10, channels_last=True)
    convs = [m.weight for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return make_digits(
        str(tmp_path_factory.mktemp("digits")), teacher_per_class=8, student_per_class=4, test_per_class=2
    )


def _train(data, work_dir, epochs, *extra):
    return main(
        [
            CONFIG,
            "--data-root",
            data,
            "--work-dir",
            str(work_dir),
            "--no-pretrained",
            "--fast",
            "--cfg-options",
            f"train_cfg.max_epochs={epochs}",
            "train_dataloader.batch_size=8",
            "randomness.seed=0",
            "default_hooks.logger.interval=1",
            *extra,
        ]
    )


def test_fast_run_reports_its_pieces_and_resumes_exactly(digits, tmp_path, capsys):
    teacher_data, data = digits
    teacher = tmp_path / "teacher"
    assert (
        main(
            [
                os.path.join(ROOT, "configs", "toy", "cls", "teacher.py"),
                "--data-root",
                teacher_data,
                "--work-dir",
                str(teacher),
                "--cfg-options",
                "train_cfg.max_epochs=1",
                "randomness.seed=0",
            ]
        )
        == 0
    )
    ckpt = ["--teacher-checkpoint", str(teacher / "epoch_1.pth")]
    assert _train(data, tmp_path / "whole", 2, *ckpt) == 0
    out = capsys.readouterr().out
    for line in (
        "fast: train_dataloader: the CIFAR100 data set on the CPU",
        "fast: channels_last",
        "fast: bfloat16 autocast: CPUBF16OptimWrapper",
        "fast: train_step: not compiled",
    ):
        assert line in out, line
    assert _train(data, tmp_path / "parts", 1, *ckpt) == 0
    assert _train(data, tmp_path / "parts", 2, *ckpt, "--resume") == 0
    a = load_run_checkpoint(tmp_path / "whole" / "epoch_2.pth")["state_dict"]
    b = load_run_checkpoint(tmp_path / "parts" / "epoch_2.pth")["state_dict"]
    students = [k for k in a if k.startswith("student.")]
    assert students and all(torch.equal(a[k], b[k]) for k in students)


def test_fast_elsewhere_is_one_clear_error(capsys):
    det = load_tool("train_det.py").main
    assert det([os.path.join(ROOT, "configs", "toy", "det", "ldrld.py"), "--fast"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("train_det.py: error: --fast: detection has no fast path"), err
    assert det([os.path.join(ROOT, "configs", "toy", "det", "ldrld.py"), "--cfg-options", "fast=True"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fast = True (from the config or --cfg-options), but detection has no fast path" in err[0]


def test_fast_on_a_config_that_relies_on_the_default_preprocessor():
    from mmengine.config import Config
    from mmengine.registry import MODELS

    from ldrld_cls.engine.fast import apply_fast

    cfg = Config(
        dict(
            model=dict(type="ClsDistiller", student=dict(arch="resnet8"), num_classes=10),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        )
    )
    apply_fast(cfg, cuda=False)
    model = MODELS.build(cfg.model)
    assert model.data_preprocessor.channels_last and type(model.data_preprocessor).__name__ == "ClsDataPreprocessor"
