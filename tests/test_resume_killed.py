"""A run killed with SIGKILL in the middle of an epoch, resumed with the tool's --resume,
against the same run uninterrupted: every task ends with bit-identical weights (detection
with ldrld_mm's EpochSeedHook, as its augmentations and RoI samplers draw from global random
states MMEngine does not save), the same iteration count, learning-rate schedule and optimizer
state; without the hook a detection run resumes on the same schedule but other draws."""

import os

import pytest
import torch

from ldrld_runs.results import evaluations
from toy.det import make_toy_coco
from toy.digits import make_digits
from toy.reid import make_toy_market1501

from det_helpers import toy_config, write_config
from tool_helpers import TOY, kill_when, load_run_checkpoint, run_tool

THREADS = {"OMP_NUM_THREADS": "1"}  # both runs of a pair on the same kernels


def _weights(path, prefix=""):
    state = load_run_checkpoint(path)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def _whole_killed_resumed(tool, args, out_flag, tmp_path, line, when_killed):
    """``tools/<tool> ARGS`` once to the end (``out_flag`` tmp_path/whole), once killed with SIGKILL when it
    prints ``line`` (tmp_path/parts) and resumed there with --resume. Returns the two folders, what
    ``when_killed(parts)`` said right after the kill and the resumed run's output."""
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run_tool(tool, *args, out_flag, whole, env=THREADS)
    kill_when(tool, *args, out_flag, parts, line=line, env=THREADS)
    killed = when_killed(parts)
    resumed = run_tool(tool, *args, out_flag, parts, "--resume", env=THREADS)
    return whole, parts, killed, resumed.stdout


def _last(work_dir):
    with open(os.path.join(work_dir, "last_checkpoint")) as f:
        return f.read().strip()


def test_classification_resumes_bit_identically(tmp_path):
    _, students = make_digits(str(tmp_path / "data"), teacher_per_class=8, student_per_class=4, test_per_class=2)
    config = os.path.join(TOY, "cls", "student.py")
    # 40 digits, batch 16: 3 iterations an epoch, 3 epochs, a checkpoint after each
    options = ["train_cfg.max_epochs=3", "train_cfg.val_interval=3", "train_dataloader.batch_size=16"]
    args = [config, "--data-root", students, "--cfg-options", *options, "default_hooks.logger.interval=1"]
    whole, parts, killed, _ = _whole_killed_resumed(
        "train_cls.py", args, "--work-dir", tmp_path, "Epoch(train) [2][2/3]", _last
    )
    assert killed.endswith("epoch_1.pth")  # killed during epoch 2
    a, b = _weights(_last(whole), "student."), _weights(_last(parts), "student.")
    assert a.keys() == b.keys() and len(a) > 20
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_reid_resumes_bit_identically(tmp_path):
    """The toy Re-ID network trained alone (configs/toy/reid/teacher.py), a checkpoint and a test every
    epoch: killed in epoch 3, resumed from its latest checkpoint (``--resume`` alone), it ends with the
    weights and the tests of the run that was never stopped."""
    make_toy_market1501(
        tmp_path / "data", seed=0, num_train_ids=6, num_test_ids=6, train_images_per_id=4, gallery_images_per_id=4
    )  # 24 training images: 3 batches of 8 an epoch
    config = os.path.join(TOY, "reid", "teacher.py")
    options = ["train.max_epoch=3", "test.eval_freq=1", "train.print_freq=1", "randomness.seed=0"]
    args = [config, "--data-root", tmp_path / "data", "--cfg-options", *options]
    saved = lambda out: (sorted(os.listdir(out / "model")), _last(out))  # noqa: E731 - what the killed run had saved
    whole, parts, (killed, last), out = _whole_killed_resumed(
        "train_reid.py", args, "--work-dir", tmp_path, "epoch: [3/3][1/3]", saved
    )
    assert killed == ["model.pth.tar-1", "model.pth.tar-2"] and last == str(parts / "model" / "model.pth.tar-2")
    assert "2 epoch(s) done" in out
    assert _last(whole) == str(whole / "model.pth") and _last(parts) == str(parts / "model.pth")
    a, b = _weights(_last(whole)), _weights(_last(parts))
    assert a.keys() == b.keys() and len(a) > 20
    assert all(torch.equal(a[k], b[k]) for k in a)
    tests = evaluations(whole)  # the rank-1 and mAP of every epoch's test, from scalars.json
    assert [epoch for epoch, _ in tests] == [1, 2, 3] and evaluations(parts) == tests


def _random_teacher(config, path):
    """A teacher checkpoint of ``config``'s network with random weights (resuming needs no trained one)."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    torch.save(MODELS.build(Config.fromfile(config).model).state_dict(), path)
    return str(path)


@pytest.mark.parametrize(
    "config, epoch_seeds",
    [("student", True), ("cascade_ldrld", True), ("student", False)],
    ids=["student-epoch_seeds", "cascade_ldrld-epoch_seeds", "student-mmengine_seeding"],
)
def test_detection_resumes_with_the_same_schedule_and_optimizer_state(tmp_path, config, epoch_seeds):
    """The toy Faster R-CNN student alone, and a Cascade R-CNN student distilled with LDRLD: with
    EpochSeedHook the resumed run ends with the uninterrupted run's weights, bit for bit; with
    MMEngine's seeding alone on the same schedule and optimizer state, its weights elsewhere."""
    data = make_toy_coco(str(tmp_path / "data"), num_train=6, num_val=2, image_size=(128, 96))  # 3 iterations
    options = ["train_cfg.max_epochs=3", "train_cfg.val_interval=3", "default_hooks.logger.interval=1"]
    path = toy_config(config)
    if epoch_seeds:  # as a user opts in
        path = write_config(tmp_path, "epoch_seeds.py", path, "custom_hooks = [dict(type='EpochSeedHook')]")
    args = [path, "--data-root", data, "--cfg-options", *options]
    if config != "student":
        args += ["--teacher-checkpoint", _random_teacher(toy_config("cascade_teacher"), tmp_path / "teacher.pth")]
    whole, parts, killed, _ = _whole_killed_resumed(
        "train_det.py", args, "--work-dir", tmp_path, "Epoch(train) [2][2/3]", _last
    )
    assert killed.endswith("epoch_1.pth")
    a = load_run_checkpoint(_last(whole))
    b = load_run_checkpoint(_last(parts))
    assert (a["meta"]["epoch"], a["meta"]["iter"]) == (b["meta"]["epoch"], b["meta"]["iter"]) == (3, 9)
    assert a["param_schedulers"] == b["param_schedulers"]  # the same learning-rate schedule, step for step
    groups = [[{k: v for k, v in g.items() if k != "params"} for g in c["optimizer"]["param_groups"]] for c in (a, b)]
    assert groups[0] == groups[1]
    states = [c["optimizer"]["state"] for c in (a, b)]
    assert states[0].keys() == states[1].keys() and states[0]
    for key in states[0]:  # momentum buffers of every parameter, of the same shapes
        assert {n: v.shape for n, v in states[0][key].items()} == {n: v.shape for n, v in states[1][key].items()}
    weights = [{k: v for k, v in c["state_dict"].items() if not k.startswith("teacher.")} for c in (a, b)]
    assert weights[0].keys() == weights[1].keys() and len(weights[0]) > 20
    same = [k for k in weights[0] if torch.equal(weights[0][k], weights[1][k])]
    if epoch_seeds:
        assert len(same) == len(weights[0]), sorted(set(weights[0]) - set(same))[:5]
    else:  # the resumed run drew other flips and RoIs: the test above is not passing by chance
        assert len(same) < len(weights[0])
