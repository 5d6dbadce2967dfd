"""tools/train_reid.py end to end on toy Market-1501 with torchreid's own data manager, models, engine
and evaluator (CPU).

One full run (no --mode: the teacher is absent, so it trains the teacher, then
the student, each ending in torchreid's test) is shared by the module; the other
tests reuse its checkpoints.
"""

import argparse
import contextlib
import io
import json
import os

import numpy as np
import pytest
import torch

from ldrld_core import allow_in_weights_only
from ldrld_reid import compat
from ldrld_reid.config import apply_overrides, load_config
from ldrld_reid.runner import build_datamanager, build_model, load_teacher
from toy.reid import make_toy_market1501

from reid_helpers import run_on, run_tool, write_tiny_config

CPU = torch.device("cpu")
NUM_IDS, IMAGES_PER_ID, BATCH = 6, 4, 8  # the toy training set: 24 images, 3 batches an epoch
RANKS = (1, 5, 10, 20)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reid_pipeline")


@pytest.fixture(scope="module")
def config(workdir):
    # depth 3 of 6 classes leaves 3 for RNTK, so every LDRLD term is non-zero
    return write_tiny_config(workdir, distill={"ldrld": {"alpha": 1.0, "beta": 1.0, "depth": 3, "temperature": 4.0}})


@pytest.fixture(scope="module")
def full_run(workdir, config):
    """`python tools/train_reid.py --config tiny_reid.py` from a folder whose data/ holds Market-1501:
    the default root and the default save dir."""
    make_toy_market1501(
        workdir / "data",
        seed=0,
        num_train_ids=NUM_IDS,
        num_test_ids=4,
        train_images_per_id=IMAGES_PER_ID,
        gallery_images_per_id=4,
    )  # 24 gallery images
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        code, out, err = run_tool("--config", config)
    finally:
        os.chdir(cwd)
    save_dir = workdir / "work_dirs" / "reid_toy"
    return {
        "code": code,
        "out": out,
        "err": err,
        "save_dir": save_dir,
        "root": workdir / "data",
        "teacher": save_dir / "teacher" / "model.pth",
        "student": save_dir / "student_ldrld" / "model.pth",
    }


@pytest.fixture(scope="module")
def cfg_and_data(full_run, config):
    cfg = apply_overrides(load_config(config), argparse.Namespace(data_root=str(full_run["root"])))
    with contextlib.redirect_stdout(io.StringIO()):
        datamanager = build_datamanager(cfg, CPU)
    return cfg, datamanager


def _load(path):  # weights-only, with the numpy values of the random states allowed (as docs/reid.md says)
    allow_in_weights_only()
    return torch.load(path, map_location="cpu", weights_only=True)


def _fresh(arch, seed=0):
    compat.set_random_seed(seed)
    return build_model(arch, NUM_IDS, False, CPU)


def test_full_run_trains_teacher_then_student_then_evaluates(full_run):
    assert full_run["code"] == 0, full_run["err"]
    out = full_run["out"]
    assert out.index("teacher weights saved") < out.index("distilling") < out.index("student_ldrld weights saved")
    assert out.count("=> Final test") == 2 and out.count("** Results **") == 2  # torchreid's own test, each stage
    result = json.loads((full_run["save_dir"] / "results_student_ldrld.json").read_text())
    assert {"rank1", "mAP"} <= set(result) and 0 <= result["rank1"] <= 1 and 0 <= result["mAP"] <= 1
    last = out.strip().splitlines()[-1]
    assert f"rank-1 {result['rank1']:.1%}, mAP {result['mAP']:.1%}" in last
    printed = out[out.rindex("** Results **") :]  # torchreid's printed CMC agrees with the record
    assert f"mAP: {result['mAP']:.1%}" in printed and f"Rank-1  : {result['rank1']:.1%}" in printed
    assert result["teacher_checkpoint"] == str(full_run["teacher"])


def test_teacher_trained_one_epoch_and_saved(full_run):
    checkpoint = _load(full_run["teacher"])
    assert checkpoint["epoch"] == 1 and checkpoint["meta"]["arch"] == "resnet18"
    assert checkpoint["state_dict"]["classifier.weight"].shape == (NUM_IDS, 512)
    initial = _fresh("resnet18").state_dict()
    assert not torch.equal(checkpoint["state_dict"]["conv1.weight"], initial["conv1.weight"])  # it trained
    folder = full_run["save_dir"] / "teacher" / "model"
    last = _load(folder / "model.pth.tar-1")  # torchreid's checkpoint, where torchreid writes it
    assert last["epoch"] == 1 and last["optimizer"]["state"] and set(last["rng"]) >= {"torch", "numpy", "python"}
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
    assert [n for n in os.listdir(full_run["save_dir"] / "teacher") if n.startswith("train.log-")]


def test_student_distilled_one_epoch_with_every_term_logged(full_run):
    checkpoint = _load(full_run["student"])
    assert checkpoint["epoch"] == 1 and checkpoint["meta"]["arch"] == "resnet18"
    assert checkpoint["meta"]["loss"] == "ldrld"
    assert checkpoint["meta"]["teacher_checkpoint"] == str(full_run["teacher"])
    logged = [line for line in full_run["out"].splitlines() if "loss_local" in line]
    assert logged
    for term in ("loss_ce", "loss_local", "loss_rntk"):
        value = float(logged[-1].split(term + " ")[1].split()[0])
        assert value > 0, term


def test_eval_reports_what_torchreid_evaluate_rank_gives(full_run, config, cfg_and_data):
    code, out, err = run_on(
        config, full_run["root"], full_run["save_dir"], "--mode", "eval", "--student-checkpoint", full_run["student"]
    )
    assert code == 0, err
    reported = json.loads((full_run["save_dir"] / "results_eval.json").read_text())
    # Independently: features of the saved student, torchreid's distance and evaluate_rank.
    cfg, datamanager = cfg_and_data
    model = build_model("resnet18", NUM_IDS, False, CPU)
    model.load_state_dict(_load(full_run["student"])["state_dict"])
    model.eval()
    feats = {}
    with torch.no_grad():
        for split in ("query", "gallery"):
            batches = list(datamanager.test_loader["market1501"][split])
            feats[split] = (
                torch.cat([model(b["img"]) for b in batches]),
                np.concatenate([b["pid"].numpy() for b in batches]),
                np.concatenate([b["camid"].numpy() for b in batches]),
            )
    (qf, q_pids, q_cams), (gf, g_pids, g_cams) = feats["query"], feats["gallery"]
    distmat = compat.metrics().compute_distance_matrix(qf, gf, "euclidean").numpy()
    cmc, mean_ap = compat.metrics().evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams)
    assert reported["mAP"] == pytest.approx(float(mean_ap), abs=1e-6)
    assert reported["rank1"] == pytest.approx(float(cmc[0]), abs=1e-6)
    for r in RANKS:
        assert f"Rank-{r:<3}: {cmc[r - 1]:.1%}" in out


def test_engine_keeps_teacher_frozen_unregistered_and_bit_identical(full_run, cfg_and_data):
    from ldrld_reid.engine import DistillSoftmaxEngine

    cfg, datamanager = cfg_and_data
    with contextlib.redirect_stdout(io.StringIO()):
        teacher = load_teacher(cfg, str(full_run["teacher"]), datamanager, CPU)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student = _fresh("resnet18")
    student_before = student.conv1.weight.detach().clone()
    optimizer = compat.optim().build_optimizer(student, optim="amsgrad", lr=3e-4)
    engine = DistillSoftmaxEngine(
        datamanager, student, optimizer, teacher, dict(type="LDRLDLoss", depth=3, ce_weight=0.0), use_gpu=False
    )
    assert engine.get_model_names() == ["model"] and engine._models["model"] is student
    engine.max_epoch = 1
    with contextlib.redirect_stdout(io.StringIO()):
        engine.train(print_freq=100)
    assert not teacher.training and all(not m.training for m in teacher.modules())
    assert all(p.grad is None and not p.requires_grad for p in teacher.parameters())
    after = teacher.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN statistics, bit for bit
    assert not torch.equal(student.conv1.weight, student_before)


@pytest.mark.parametrize(
    "loss, terms",
    [
        (dict(type="KDLoss", ce_weight=0.0), {"loss_kd"}),
        (dict(type="DKDLoss", warmup=0, ce_weight=0.0), {"loss_tckd", "loss_nckd"}),
    ],
)
def test_kd_and_dkd_are_selectable(cfg_and_data, loss, terms):
    from ldrld_reid.engine import DistillSoftmaxEngine

    _, datamanager = cfg_and_data
    student = _fresh("resnet18")
    optimizer = compat.optim().build_optimizer(student, optim="amsgrad", lr=3e-4)
    engine = DistillSoftmaxEngine(datamanager, student, optimizer, _fresh("resnet18", seed=1), loss, use_gpu=False)
    engine.epoch, engine.batch_idx, engine.num_batches = 0, 0, 1
    summary = engine.forward_backward(next(iter(datamanager.train_loader)))
    assert set(summary) == {"loss", "loss_ce", "acc"} | terms
    assert summary["loss"] == pytest.approx(summary["loss_ce"] + sum(summary[t] for t in terms), rel=1e-5)


@pytest.mark.parametrize(
    "loss, term",
    [
        (dict(type="LDRLDLoss", alpha=1.0, beta=1.0, depth=3, ce_weight=0.0, warmup=2.0), "loss_local"),
        (dict(type="KDLoss", ce_weight=0.0, warmup=2.0), "loss_kd"),
        (dict(type="DKDLoss", warmup=2.0, ce_weight=0.0), "loss_nckd"),
    ],
    ids=lambda v: v["type"] if isinstance(v, dict) else v,
)
def test_the_loss_warmup_follows_the_engines_epochs(cfg_and_data, loss, term):
    """progress = epochs done, counting the current batch: batch 1 of 4 in epoch 1 is 0.25."""
    from ldrld_reid.engine import DistillSoftmaxEngine

    _, datamanager = cfg_and_data
    student = _fresh("resnet18")
    optimizer = torch.optim.SGD(student.parameters(), lr=0.0)  # the student stays as it is between calls
    engine = DistillSoftmaxEngine(datamanager, student, optimizer, _fresh("resnet18", seed=1), loss, use_gpu=False)
    data = next(iter(datamanager.train_loader))
    seen = {}
    for epoch, batch_idx in [(0, 0), (0, 3), (1, 1), (5, 0)]:  # progress 0.25, 1, 1.5, 5.25
        engine.epoch, engine.batch_idx, engine.num_batches = epoch, batch_idx, 4
        seen[(epoch, batch_idx)] = engine.forward_backward(data)
    done = seen[(5, 0)]
    assert done[term] > 0
    for key, factor in [((0, 0), 0.125), ((0, 3), 0.5), ((1, 1), 0.75)]:
        assert seen[key][term] == pytest.approx(factor * done[term], rel=1e-4), key
        assert seen[key]["loss_ce"] == pytest.approx(done["loss_ce"], rel=1e-6), key


def test_the_config_warmup_reaches_the_loss(cfg_and_data):
    from ldrld_core import build_loss
    from ldrld_reid.config import distill_loss_config

    cfg, _ = cfg_and_data
    cfg = apply_overrides(cfg, argparse.Namespace(cfg_options={"distill.ldrld.warmup": 3.0}))
    assert build_loss(distill_loss_config(cfg)).warmup == 3.0


def test_ce_counted_twice_is_refused(cfg_and_data):
    from ldrld_reid.engine import DistillSoftmaxEngine

    _, datamanager = cfg_and_data
    student = _fresh("resnet18")
    optimizer = compat.optim().build_optimizer(student, optim="amsgrad", lr=3e-4)
    with pytest.raises(ValueError, match="ce_weight=0"):
        DistillSoftmaxEngine(datamanager, student, optimizer, _fresh("resnet18"), dict(type="KDLoss"), use_gpu=False)


def test_resume_continues_from_the_saved_epoch(full_run, config, workdir):
    last = full_run["save_dir"] / "teacher" / "model" / "model.pth.tar-1"
    save_dir = workdir / "resumed"
    code, out, err = run_on(config, full_run["root"], save_dir, "--mode", "teacher", "--max-epoch", 2, "--resume", last)
    assert code == 0, err
    assert "1 epoch(s) done" in out and "epoch: [2/2]" in out and "epoch: [1/2]" not in out
    resumed = _load(save_dir / "teacher" / "model" / "model.pth.tar-2")
    batches = NUM_IDS * IMAGES_PER_ID // BATCH
    assert resumed["epoch"] == 2 and resumed["scheduler"]["last_epoch"] == 2
    steps = {float(s["step"]) for s in resumed["optimizer"]["state"].values()}
    assert steps == {2.0 * batches}  # the optimizer went on from epoch 1's state
    assert _load(save_dir / "teacher" / "model.pth")["epoch"] == 2


def test_teacher_of_other_identities_is_one_clear_error(full_run, config, workdir):
    other = workdir / "other_data"
    make_toy_market1501(other, seed=1, num_train_ids=5, num_test_ids=2, train_images_per_id=2)
    code, out, err = run_on(
        config, other, workdir / "other_run", "--mode", "student", "--teacher-checkpoint", full_run["teacher"]
    )
    assert code == 2 and "Traceback" not in err
    expected = f"teacher checkpoint {full_run['teacher']} classifies {NUM_IDS} identities but the training data has 5"
    assert expected in err
    assert not (workdir / "other_run" / "student_ldrld").exists()


@pytest.mark.parametrize(
    "args, option",
    [
        (["--mode", "student", "--teacher-checkpoint", "nowhere/teacher.pth"], "--teacher-checkpoint"),
        (["--mode", "eval", "--student-checkpoint", "nowhere/student.pth"], "--student-checkpoint"),
        (["--mode", "teacher", "--resume", "nowhere/model.pth.tar-1"], "--resume"),
    ],
)
def test_missing_checkpoint_is_one_clear_error(full_run, config, workdir, args, option):
    code, out, err = run_on(config, full_run["root"], workdir / "x", *args)
    assert code == 2 and "Traceback" not in err
    assert err.count("error:") == 1 and option in err and "nowhere" in err and "no such file" in err


def test_init_checkpoint_in_the_config_starts_the_trained_network(cfg_and_data, tmp_path):
    """model.init_checkpoint / teacher.init_checkpoint reach the network each stage trains (the
    engine's own model); here the file has the same 6 identities, so its classifier loads too."""
    from ldrld_reid.runner import make_engine

    cfg, datamanager = cfg_and_data
    source = _fresh("resnet18", seed=5)
    path = tmp_path / "backbone.pth"
    torch.save(source.state_dict(), path)
    for section, stage in (("teacher", "teacher"), ("model", "student_none")):
        run_cfg = apply_overrides(
            cfg,
            argparse.Namespace(
                cfg_options={
                    f"{section}.name": "resnet18",
                    f"{section}.pretrained": False,
                    f"{section}.init_checkpoint": str(path),
                    "distill.loss": "none",
                    "work_dir": str(tmp_path / section),
                }
            ),
        )
        engine = make_engine(run_cfg, stage, datamanager, CPU)
        trained = engine.model.state_dict()
        assert torch.equal(trained["layer4.1.conv2.weight"], source.state_dict()["layer4.1.conv2.weight"]), section
        assert torch.equal(trained["classifier.weight"], source.state_dict()["classifier.weight"])  # same 6 ids here
