"""tools/train_reid.py and tools/test_reid.py end to end on toy Market-1501 with torchreid's own data
manager, models, engine and evaluator (CPU).

One config trains one network: the module trains a teacher with its own config (the toy student
alone, one epoch), then a student distilled from it with LDRLD (``--teacher-checkpoint`` the teacher's
work dir), each ending in torchreid's test; the other tests reuse their work dirs.
"""

import contextlib
import io
import os
import shutil

import numpy as np
import pytest
import torch

from ldrld_core import allow_in_weights_only
from ldrld_core.errors import ConfigError
from ldrld_core.run_logs import read_scalars
from ldrld_reid import compat
from ldrld_reid.config import apply_cfg_options, load_config
from ldrld_reid.runner import build_datamanager, build_model, load_teacher
from toy.reid import make_toy_market1501

from reid_helpers import TOY_REID, TOY_STUDENT, run_on, run_test_tool, write_tiny_config

CPU = torch.device("cpu")
NUM_IDS, IMAGES_PER_ID, BATCH = 6, 4, 8  # the toy training set: 24 images, 3 batches an epoch
RANKS = (1, 5, 10, 20)
TERMS = ("loss_ce", "loss_local", "loss_rntk")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reid_pipeline")


@pytest.fixture(scope="module")
def teacher_config(workdir):
    return write_tiny_config(workdir, base=TOY_STUDENT, name="tiny_teacher.py")


@pytest.fixture(scope="module")
def config(workdir):
    # depth 3 of 6 classes leaves 3 for RNTK, so every LDRLD term is non-zero
    return write_tiny_config(workdir, distill_loss={"alpha": 1.0, "beta": 1.0, "depth": 3, "temperature": 4.0})


@pytest.fixture(scope="module")
def runs(workdir, teacher_config, config):
    """The toy data, the teacher's run (its own config), then the student's (``--teacher-checkpoint``
    the teacher's work dir)."""
    root = workdir / "data"
    make_toy_market1501(
        root,
        seed=0,
        num_train_ids=NUM_IDS,
        num_test_ids=4,
        train_images_per_id=IMAGES_PER_ID,
        gallery_images_per_id=4,
    )  # 24 gallery images
    teacher_dir, student_dir = workdir / "teacher", workdir / "student"
    teacher = run_on(teacher_config, root, teacher_dir)
    student = run_on(config, root, student_dir, "--teacher-checkpoint", teacher_dir)
    return {
        "root": root,
        "teacher_dir": teacher_dir,
        "student_dir": student_dir,
        "teacher_run": teacher,
        "student_run": student,
        "teacher": teacher_dir / "model.pth",
        "student": student_dir / "model.pth",
    }


@pytest.fixture(scope="module")
def teacher_run(runs):
    code, out, err = runs["teacher_run"]
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def student_run(runs, teacher_run):
    code, out, err = runs["student_run"]
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def cfg_and_data(runs, config):
    cfg = load_config(config)
    cfg["data"]["root"] = str(runs["root"])
    with contextlib.redirect_stdout(io.StringIO()):
        datamanager = build_datamanager(cfg, CPU)
    return cfg, datamanager


def _load(path):  # weights-only, with the numpy values of the random states allowed (as docs/reid.md says)
    allow_in_weights_only()
    return torch.load(path, map_location="cpu", weights_only=True)


def _fresh(arch, seed=0):
    compat.set_random_seed(seed)
    return build_model(arch, NUM_IDS, False, CPU)


def _tests(work_dir):
    """The test records of scalars.json: ``[(epochs done, rank-1, mAP)]``."""
    return [(r["step"], r["reid/rank1"], r["reid/mAP"]) for r in read_scalars(work_dir) if "reid/rank1" in r]


def _one_error(code, err, prog="train_reid.py"):
    """Exit status 2 and one ``<prog>: error: ...`` line, no traceback; the line."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), err
    return lines[0]


def _ran_nothing(work_dir):
    """No weights, checkpoints, logs or scalars under ``work_dir``."""
    if not os.path.exists(work_dir):
        return True
    written = [os.path.join(d, n) for d, _, names in os.walk(work_dir) for n in names]
    return not written


def test_the_teacher_trains_alone_and_the_student_distils_from_its_work_dir(runs, teacher_run, student_run):
    assert "distilling" not in teacher_run and "=> Final test" in teacher_run
    assert teacher_run.count("** Results **") == 1  # torchreid's own test at the end
    assert student_run.index(f"=> teacher resnet18 loaded from {runs['teacher']}") < student_run.index(
        "=> distilling resnet18 -> resnet18 with LDRLDLoss"
    )
    assert student_run.count("=> Final test") == 1 and student_run.count("** Results **") == 1
    for folder, out in ((runs["teacher_dir"], teacher_run), (runs["student_dir"], student_run)):
        assert f"=> weights saved to {folder / 'model.pth'}" in out
        (epoch, rank1, mean_ap), *more = _tests(folder)
        assert not more and epoch == 1 and 0 <= rank1 <= 1 and 0 <= mean_ap <= 1
        assert out.strip().splitlines()[-1] == f"=> rank-1 {rank1:.1%}, mAP {mean_ap:.1%}"
        printed = out[out.rindex("** Results **") :]  # torchreid's printed CMC agrees with the record
        assert f"mAP: {mean_ap:.1%}" in printed and f"Rank-1  : {rank1:.1%}" in printed


def test_the_teacher_trained_one_epoch_and_saved(runs, teacher_run):
    checkpoint = _load(runs["teacher"])
    assert checkpoint["epoch"] == 1 and checkpoint["meta"]["arch"] == "resnet18"
    assert checkpoint["meta"]["loss"] is None and checkpoint["meta"]["teacher_checkpoint"] is None
    assert checkpoint["meta"]["num_classes"] == NUM_IDS
    assert checkpoint["state_dict"]["classifier.weight"].shape == (NUM_IDS, 512)
    initial = _fresh("resnet18").state_dict()
    assert not torch.equal(checkpoint["state_dict"]["conv1.weight"], initial["conv1.weight"])  # it trained
    work_dir = runs["teacher_dir"]
    folder = work_dir / "model"
    last = _load(folder / "model.pth.tar-1")  # torchreid's checkpoint, where torchreid writes it
    assert last["epoch"] == 1 and last["optimizer"]["state"] and set(last["rng"]) >= {"torch", "numpy", "python"}
    assert last["meta"]["loss"] is None
    for d, _, names in os.walk(work_dir):
        assert not [n for n in names if n.endswith(".tmp")], d
    assert [n for n in os.listdir(work_dir) if n.startswith("train.log-")]
    assert (work_dir / "last_checkpoint").read_text().strip() == str(runs["teacher"])  # the final weights


def test_the_student_distilled_one_epoch_with_every_term_logged(runs, student_run):
    checkpoint = _load(runs["student"])
    assert checkpoint["epoch"] == 1 and checkpoint["meta"]["arch"] == "resnet18"
    assert checkpoint["meta"]["loss"] == "LDRLDLoss"
    assert checkpoint["meta"]["teacher_checkpoint"] == str(runs["teacher"])  # the teacher's work dir, resolved
    work_dir = runs["student_dir"]
    assert _load(work_dir / "model" / "model.pth.tar-1")["meta"]["loss"] == "LDRLDLoss"
    assert (work_dir / "last_checkpoint").read_text().strip() == str(runs["student"])
    assert [n for n in os.listdir(work_dir) if n.startswith("train.log-")]
    logged = [line for line in student_run.splitlines() if "loss_local" in line]
    assert logged
    for term in TERMS:
        value = float(logged[-1].split(term + " ")[1].split()[0])
        assert value > 0, term
    records = [r for r in read_scalars(work_dir) if "loss" in r]
    assert records
    for record in records:
        assert all(record[term] > 0 for term in TERMS), record
        assert record["loss"] >= record["loss_ce"]


def test_eval_reports_what_torchreid_evaluate_rank_gives(runs, student_run, config, cfg_and_data, tmp_path):
    eval_dir = tmp_path / "eval"
    code, out, err = run_test_tool(config, runs["student_dir"], "--data-root", runs["root"], "--work-dir", eval_dir)
    assert code == 0, err
    assert f"=> evaluating {runs['student']}" in out  # the run's work dir stands for its final weights
    ((_, rank1, mean_ap),) = _tests(eval_dir)
    assert out.strip().splitlines()[-1] == f"=> rank-1 {rank1:.1%}, mAP {mean_ap:.1%}"
    assert [n for n in os.listdir(eval_dir) if n.startswith("test.log-")]
    assert not (eval_dir / "model.pth").exists() and not (eval_dir / "model").exists()
    # Independently: features of the saved student, torchreid's distance and evaluate_rank.
    cfg, datamanager = cfg_and_data
    model = build_model("resnet18", NUM_IDS, False, CPU)
    model.load_state_dict(_load(runs["student"])["state_dict"])
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
    cmc, mean_ap_ref = compat.metrics().evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams)
    assert mean_ap == pytest.approx(float(mean_ap_ref), abs=1e-6)
    assert rank1 == pytest.approx(float(cmc[0]), abs=1e-6)
    for r in RANKS:
        assert f"Rank-{r:<3}: {cmc[r - 1]:.1%}" in out


def test_engine_keeps_teacher_frozen_unregistered_and_bit_identical(runs, teacher_run, cfg_and_data):
    from ldrld_reid.engine import DistillSoftmaxEngine

    cfg, datamanager = cfg_and_data
    with contextlib.redirect_stdout(io.StringIO()):
        teacher = load_teacher(cfg, str(runs["teacher"]), datamanager, CPU)
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


@pytest.mark.parametrize("name, default", [("ldrld.py", 0.0), ("dkd.py", 5)])
def test_the_config_warmup_reaches_the_loss(config, name, default):
    """distill_loss.warmup of the config (and of --cfg-options) is the built loss's warmup."""
    from ldrld_core import build_loss
    from ldrld_reid.config import distill_loss_config

    cfg = load_config(config if name == "ldrld.py" else os.path.join(TOY_REID, name))
    assert build_loss(distill_loss_config(cfg)).warmup == default
    cfg = apply_cfg_options(cfg, {"distill_loss.warmup": 3.0})
    loss_cfg = distill_loss_config(cfg)
    assert loss_cfg["ce_weight"] == 0.0 and build_loss(loss_cfg).warmup == 3.0


def test_ce_counted_twice_is_refused(cfg_and_data):
    from ldrld_reid.engine import DistillSoftmaxEngine

    _, datamanager = cfg_and_data
    student = _fresh("resnet18")
    optimizer = compat.optim().build_optimizer(student, optim="amsgrad", lr=3e-4)
    with pytest.raises(ValueError, match="ce_weight=0"):
        DistillSoftmaxEngine(datamanager, student, optimizer, _fresh("resnet18"), dict(type="KDLoss"), use_gpu=False)


def test_resume_continues_from_the_saved_epoch_and_alone_from_the_latest(runs, teacher_run, teacher_config, workdir):
    first = runs["teacher_dir"] / "model" / "model.pth.tar-1"
    work_dir = workdir / "resumed"
    code, out, err = run_on(
        teacher_config, runs["root"], work_dir, "--resume", first, "--cfg-options", "train.max_epoch=2"
    )
    assert code == 0, err
    assert f"=> resumed from {first}: 1 epoch(s) done" in out
    assert "epoch: [2/2]" in out and "epoch: [1/2]" not in out
    resumed = _load(work_dir / "model" / "model.pth.tar-2")
    batches = NUM_IDS * IMAGES_PER_ID // BATCH
    assert resumed["epoch"] == 2 and resumed["scheduler"]["last_epoch"] == 2
    steps = {float(s["step"]) for s in resumed["optimizer"]["state"].values()}
    assert steps == {2.0 * batches}  # the optimizer went on from epoch 1's state
    assert _load(work_dir / "model.pth")["epoch"] == 2
    assert [epoch for epoch, _, _ in _tests(work_dir)] == [2]
    # --resume alone: the latest model/model.pth.tar-N of the work dir (here 2, not 1)
    shutil.copyfile(first, work_dir / "model" / "model.pth.tar-1")
    code, out, err = run_on(teacher_config, runs["root"], work_dir, "--resume", "--cfg-options", "train.max_epoch=3")
    assert code == 0, err
    assert f"=> resumed from {work_dir / 'model' / 'model.pth.tar-2'}: 2 epoch(s) done" in out
    assert "epoch: [3/3]" in out and "epoch: [2/3]" not in out
    assert _load(work_dir / "model" / "model.pth.tar-3")["epoch"] == 3
    assert (work_dir / "last_checkpoint").read_text().strip() == str(work_dir / "model.pth")
    assert [epoch for epoch, _, _ in _tests(work_dir)] == [2, 3]


def test_teacher_of_other_identities_is_one_clear_error(runs, teacher_run, config, workdir):
    other = workdir / "other_data"
    make_toy_market1501(other, seed=1, num_train_ids=5, num_test_ids=2, train_images_per_id=2)
    work_dir = workdir / "other_run"
    code, out, err = run_on(config, other, work_dir, "--teacher-checkpoint", runs["teacher_dir"])
    line = _one_error(code, err)
    expected = f"teacher checkpoint {runs['teacher']} classifies {NUM_IDS} identities but the training data has 5"
    assert expected in line
    assert _ran_nothing(work_dir)


@pytest.mark.parametrize(
    "args, option",
    [
        (["--teacher-checkpoint", "nowhere/teacher.pth"], "--teacher-checkpoint"),
        (["--resume", "nowhere/model.pth.tar-1"], "--resume"),
    ],
)
def test_missing_checkpoint_is_one_clear_error(runs, config, workdir, args, option):
    if option == "--resume":
        args = [*args, "--teacher-checkpoint", runs["teacher_dir"]]  # the teacher is there; the resume is not
    work_dir = workdir / "x"
    code, out, err = run_on(config, runs["root"], work_dir, *args)
    line = _one_error(code, err)
    assert option in line and "nowhere" in line and "no such file" in line
    assert _ran_nothing(work_dir)


def test_missing_checkpoint_to_evaluate_is_one_clear_error(runs, config, workdir):
    work_dir = workdir / "y"
    code, out, err = run_test_tool(config, "nowhere/student.pth", "--data-root", runs["root"], "--work-dir", work_dir)
    line = _one_error(code, err, "test_reid.py")
    assert "nowhere" in line and "no such file" in line
    assert _ran_nothing(work_dir)


def test_a_teacher_checkpoint_for_a_config_without_teacher_is_refused(runs, teacher_config, workdir):
    work_dir = workdir / "no_teacher"
    code, out, err = run_on(teacher_config, runs["root"], work_dir, "--teacher-checkpoint", runs["teacher_dir"])
    line = _one_error(code, err)
    assert f"--teacher-checkpoint: config {teacher_config} trains without a teacher" in line
    assert _ran_nothing(work_dir)


def test_a_teacher_without_checkpoint_is_refused(runs, config, workdir):
    work_dir = workdir / "no_checkpoint"
    code, out, err = run_on(config, runs["root"], work_dir)
    line = _one_error(code, err)
    assert "teacher.checkpoint is not set; pass --teacher-checkpoint PATH" in line
    assert _ran_nothing(work_dir)


def test_the_retired_distill_key_says_what_to_write(runs, workdir):
    path = workdir / "retired_distill.py"
    path.write_text(
        f"_base_ = [{TOY_STUDENT!r}]\n"
        "teacher = dict(name='resnet18', checkpoint=None)\n"
        "distill = dict(loss='ldrld', ldrld=dict(alpha=1.0, beta=1.0, depth=3))\n"
    )
    work_dir = workdir / "retired"
    code, out, err = run_on(path, runs["root"], work_dir)
    line = _one_error(code, err)
    assert f"config {path}: distill: " in line
    assert "distill_loss=dict(type='LDRLDLoss', ...)" in line and "teacher=dict(name=..., checkpoint=...)" in line
    assert _ran_nothing(work_dir)


def test_the_retired_mode_flag_says_what_to_write(runs, teacher_config, workdir):
    work_dir = workdir / "retired_mode"
    code, out, err = run_on(teacher_config, runs["root"], work_dir, "--mode", "teacher")
    line = _one_error(code, err)
    assert line.startswith("train_reid.py: error: --mode is retired: one config trains one network now")
    assert "--teacher-checkpoint" in line and "tools/test_reid.py CONFIG CHECKPOINT" in line
    assert _ran_nothing(work_dir)


def test_init_checkpoint_in_the_config_starts_the_trained_network(runs, teacher_run, teacher_config, config, tmp_path):
    """model.init_checkpoint reaches the network that trains (the engine's own model), alone and
    distilled; here the file has the same 6 identities, so its classifier loads too. The teacher of
    a distilling config is its checkpoint: teacher.init_checkpoint is refused, saying where it went."""
    from ldrld_reid.runner import make_engine

    source = _fresh("resnet18", seed=5)
    path = tmp_path / "backbone.pth"
    torch.save(source.state_dict(), path)
    for name in (teacher_config, config):
        cfg = load_config(name)
        cfg["data"]["root"] = str(runs["root"])
        cfg = apply_cfg_options(cfg, {"model.init_checkpoint": str(path), "work_dir": str(tmp_path / "run")})
        with contextlib.redirect_stdout(io.StringIO()):
            datamanager = build_datamanager(cfg, CPU)
            teacher = None if cfg["teacher"] is None else load_teacher(cfg, str(runs["teacher"]), datamanager, CPU)
            engine = make_engine(cfg, datamanager, CPU, teacher)
        engine.writer.close()
        trained = engine.model.state_dict()
        assert engine.model is not teacher
        assert torch.equal(trained["layer4.1.conv2.weight"], source.state_dict()["layer4.1.conv2.weight"]), name
        assert torch.equal(trained["classifier.weight"], source.state_dict()["classifier.weight"])  # same 6 ids here
    with pytest.raises(ConfigError, match=r"teacher\.init_checkpoint: the teacher trains as the model of a config"):
        apply_cfg_options(load_config(config), {"teacher.init_checkpoint": str(path)})
