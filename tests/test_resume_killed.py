"""A run killed with SIGKILL in the middle of an epoch, resumed with the tool's --resume,
against the same run uninterrupted: classification and Re-ID end with bit-identical
weights; detection (whose augmentations draw from global random states MMEngine does not
save) with the same iteration count, learning-rate schedule and optimizer state."""

import os

import torch

from toy.det import make_toy_coco
from toy.digits import make_digits
from toy.reid import make_toy_market1501

from det_helpers import toy_config
from tool_helpers import TOY, kill_when, run_tool

THREADS = {"OMP_NUM_THREADS": "1"}  # both runs of a pair on the same kernels


def _weights(path, prefix=""):
    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def _last(work_dir):
    with open(os.path.join(work_dir, "last_checkpoint")) as f:
        return f.read().strip()


def test_classification_resumes_bit_identically(tmp_path):
    _, students = make_digits(str(tmp_path / "data"), teacher_per_class=8, student_per_class=4, test_per_class=2)
    config = os.path.join(TOY, "cls", "student.py")
    # 40 digits, batch 16: 3 iterations an epoch, 3 epochs, a checkpoint after each
    args = [
        config,
        "--data-root",
        students,
        "--cfg-options",
        "train_cfg.max_epochs=3",
        "train_cfg.val_interval=3",
        "train_dataloader.batch_size=16",
        "default_hooks.logger.interval=1",
    ]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run_tool("train_cls.py", *args[:3], "--work-dir", whole, *args[3:], env=THREADS)
    kill_when("train_cls.py", *args[:3], "--work-dir", parts, *args[3:], line="Epoch(train) [2][2/3]", env=THREADS)
    assert _last(parts).endswith("epoch_1.pth")  # killed during epoch 2
    run_tool("train_cls.py", *args[:3], "--work-dir", parts, *args[3:], "--resume", env=THREADS)
    a, b = _weights(_last(whole), "student."), _weights(_last(parts), "student.")
    assert a.keys() == b.keys() and len(a) > 20
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_reid_resumes_bit_identically(tmp_path):
    make_toy_market1501(
        tmp_path / "data", seed=0, num_train_ids=6, num_test_ids=6, train_images_per_id=4, gallery_images_per_id=4
    )  # 24 training images: 3 batches of 8 an epoch
    args = [
        "--config",
        os.path.join(TOY, "reid", "market1501_toy.yaml"),
        "--root",
        tmp_path / "data",
        "--mode",
        "teacher",
        "--max-epoch",
        "3",
        "--eval-freq",
        "1",
        "--seed",
        "0",
        "--cfg-options",
        "train.print_freq=1",
    ]
    run_tool("train_reid.py", *args, "--save-dir", tmp_path / "whole", env=THREADS)
    kill_when("train_reid.py", *args, "--save-dir", tmp_path / "parts", line="epoch: [3/3][1/3]", env=THREADS)
    assert sorted(os.listdir(tmp_path / "parts" / "teacher" / "model")) == ["model.pth.tar-1", "model.pth.tar-2"]
    out = run_tool("train_reid.py", *args, "--save-dir", tmp_path / "parts", "--resume", env=THREADS).stdout
    assert "2 epoch(s) done" in out
    a = _weights(tmp_path / "whole" / "teacher" / "model.pth")
    b = _weights(tmp_path / "parts" / "teacher" / "model.pth")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_detection_resumes_with_the_same_schedule_and_optimizer_state(tmp_path):
    data = make_toy_coco(str(tmp_path / "data"), num_train=6, num_val=2, image_size=(128, 96))  # 3 iterations
    args = [
        toy_config("student"),
        "--data-root",
        data,
        "--cfg-options",
        "train_cfg.max_epochs=3",
        "train_cfg.val_interval=3",
        "default_hooks.logger.interval=1",
    ]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run_tool("train_det.py", *args[:3], "--work-dir", whole, *args[3:], env=THREADS)
    kill_when("train_det.py", *args[:3], "--work-dir", parts, *args[3:], line="Epoch(train) [2][2/3]", env=THREADS)
    assert _last(parts).endswith("epoch_1.pth")
    run_tool("train_det.py", *args[:3], "--work-dir", parts, *args[3:], "--resume", env=THREADS)
    a = torch.load(_last(whole), map_location="cpu", weights_only=True)
    b = torch.load(_last(parts), map_location="cpu", weights_only=True)
    assert (a["meta"]["epoch"], a["meta"]["iter"]) == (b["meta"]["epoch"], b["meta"]["iter"]) == (3, 9)
    assert a["param_schedulers"] == b["param_schedulers"]  # the same learning-rate schedule, step for step
    groups = [[{k: v for k, v in g.items() if k != "params"} for g in c["optimizer"]["param_groups"]] for c in (a, b)]
    assert groups[0] == groups[1]
    states = [c["optimizer"]["state"] for c in (a, b)]
    assert states[0].keys() == states[1].keys() and states[0]
    for key in states[0]:  # momentum buffers of every parameter, of the same shapes
        assert {n: v.shape for n, v in states[0][key].items()} == {n: v.shape for n, v in states[1][key].items()}
