"""The MMEngine pieces: the distiller (frozen teacher, student-only optimizer,
loss terms, predictions), the top-k metric, teacher-checkpoint errors, the
learning-rate schedule, atomic checkpoint writes and weights-only reading."""

import collections
import os
import pickle

import pytest
import torch

import ldrld_cls.engine  # noqa: F401  (registers the modules)
from ldrld_cls import ClassCountError, InputError
from ldrld_cls.engine.smoke import write_random_teacher
from ldrld_core import CheckpointError, LDRLDLoss
from ldrld_core.atomic_io import atomic_write_bytes
from ldrld_mm.fileio import BACKEND_NAME, AtomicLocalBackend

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def teacher_ckpt(tmp_path_factory):
    return write_random_teacher("resnet20", 10, "cifar", str(tmp_path_factory.mktemp("t") / "resnet20.pth"))


def build(teacher_ckpt, loss=None, student="resnet8", **kwargs):
    from mmengine.registry import MODELS

    cfg = dict(
        type="ClsDistiller",
        num_classes=10,
        student=dict(arch=student),
        data_preprocessor=dict(type="ClsDataPreprocessor", mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)),
        **kwargs,
    )
    if loss is not None:
        cfg.setdefault("teacher", dict(arch="resnet20", checkpoint=teacher_ckpt))
        cfg["distill_loss"] = loss
    return MODELS.build(cfg)


def optim(model, lr=0.05):
    from mmengine.optim import build_optim_wrapper

    return build_optim_wrapper(
        model,
        dict(optimizer=dict(type="SGD", lr=lr, momentum=0.9, weight_decay=5e-4)),
    )


def batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "inputs": torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
        "data_samples": torch.randint(0, 10, (n,), generator=g),
    }


LDRLD = dict(type="LDRLDLoss", alpha=10.5, beta=7.0, depth=7, temperature=4.0)


def test_teacher_is_frozen_in_eval_and_outside_the_optimizer(teacher_ckpt):
    model = build(teacher_ckpt, LDRLD)
    model.train()
    assert model.student.training and not model.teacher.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    wrapper = optim(model)
    optimised = {id(p) for group in wrapper.optimizer.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in model.student.parameters()}
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    model.train_step(batch(), wrapper)
    after = model.teacher.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN statistics untouched
    assert torch.equal(model.teacher.state_dict()["fc.weight"], torch.load(teacher_ckpt)["model"]["fc.weight"])


@pytest.mark.parametrize(
    "loss,terms",
    [
        (LDRLD, {"loss_ce", "loss_local", "loss_rntk"}),
        (dict(type="KDLoss", loss_weight=0.9, temperature=4.0, ce_weight=0.1), {"loss_ce", "loss_kd"}),
        (dict(type="DKDLoss", alpha=1.0, beta=8.0, temperature=4.0, warmup=20), {"loss_ce", "loss_tckd", "loss_nckd"}),
        (None, {"loss_ce"}),
    ],
)
def test_loss_mode_returns_the_terms_of_ldrld_core(teacher_ckpt, loss, terms):
    model = build(teacher_ckpt, loss)
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode="loss")
    assert set(losses) == terms
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())


def test_ldrld_terms_equal_the_core_loss_on_student_and_teacher_logits(teacher_ckpt):
    model = build(teacher_ckpt, LDRLD).eval()
    data = model.data_preprocessor(batch(), False)
    ours = model(**data, mode="loss")
    with torch.no_grad():
        expected = LDRLDLoss(alpha=10.5, beta=7.0, depth=7, temperature=4.0)(
            model.student(data["inputs"]), model.teacher(data["inputs"]), data["data_samples"]
        )
    for k in expected:
        assert torch.allclose(ours[k], expected[k]), k


@pytest.mark.parametrize(
    "loss, term",
    [
        (dict(type="DKDLoss", alpha=1.0, beta=8.0, temperature=4.0, warmup=20), "loss_nckd"),
        (dict(type="LDRLDLoss", alpha=10.5, beta=7.0, warmup=20), "loss_local"),
        (dict(type="KDLoss", loss_weight=0.9, ce_weight=0.1, warmup=20), "loss_kd"),
    ],
    ids=lambda v: v["type"] if isinstance(v, dict) else v,
)
def test_the_loss_warmup_follows_the_runs_progress_in_epochs(teacher_ckpt, loss, term):
    from mmengine.logging import MessageHub

    model = build(teacher_ckpt, loss).eval()
    data = model.data_preprocessor(batch(), False)
    hub = MessageHub.get_instance(f"cls_engine_test_warmup_{loss['type']}")
    hub.update_info("max_epochs", 240)
    hub.update_info("max_iters", 240 * 10)  # 10 iterations an epoch
    hub.update_info("iter", 9)  # the last iteration of the first epoch: progress 1, weight 1/20
    first = model(**data, mode="loss")
    hub.update_info("iter", 4)  # half-way through the first epoch: weight 1/40
    half = model(**data, mode="loss")
    hub.update_info("iter", 399)  # epoch 40: warm-up over
    late = model(**data, mode="loss")
    assert late[term] > 0
    assert torch.allclose(first[term] * 20, late[term]) and torch.allclose(half[term] * 40, late[term])
    assert torch.equal(first["loss_ce"], late["loss_ce"])  # the cross-entropy is never ramped


def test_the_retired_kd_warmup_epochs_names_the_loss_option(teacher_ckpt):
    with pytest.raises(InputError, match=r"model\.kd_warmup_epochs=3 is gone.*model\.distill_loss\.warmup=3"):
        build(teacher_ckpt, dict(type="KDLoss"), kd_warmup_epochs=3)


# Measured under ATEN_CPU_CAPABILITY=default, avx2 and avx512 with 1 and 2 threads (docs/testing.md):
# teacher accuracy 1.0 in all six; student accuracy 0.925-1.0, its loss at 0.012-0.036 of the first
# step's and every term at most 0.095 of its own. The assertions leave a wide margin to those values.
TEACHER_STEPS, STUDENT_STEPS = 30, 40


@pytest.mark.learning
def test_ldrld_training_fits_a_learnable_set(tmp_path):
    """Full-batch steps on 40 images of 10 classes that differ in colour and stripes (toy.cls):
    the teacher fits them with cross-entropy, then an LDRLD student fits them too."""
    from ldrld_cls.datasets import CIFAR100
    from toy.cls import make_toy_dataset

    root = make_toy_dataset("cifar100", str(tmp_path), seed=0, active_classes=10, train_per_class=4, val_per_class=0)
    ds = CIFAR100(root, "train")
    data = {
        "inputs": torch.stack([ds[i]["inputs"] for i in range(len(ds))]),
        "data_samples": torch.tensor([ds[i]["data_samples"] for i in range(len(ds))]),
    }

    def accuracy(model):
        with torch.no_grad():  # batch statistics: a few steps leave the running BN statistics behind
            logits = model(**model.data_preprocessor(data, False), mode="tensor")
        return float((logits.argmax(1) == data["data_samples"]).float().mean())

    torch.manual_seed(0)
    teacher = build(None, None, student="resnet20")
    teacher.train()
    wrapper = optim(teacher, lr=0.05)
    for _ in range(TEACHER_STEPS):
        teacher.train_step(data, wrapper)
    assert accuracy(teacher) >= 0.7
    path = tmp_path / "teacher.pth"
    torch.save({"model": teacher.student.state_dict()}, path)

    model = build(str(path), LDRLD)
    model.train()
    wrapper = optim(model, lr=0.01)
    logs = [{k: float(v.detach()) for k, v in model.train_step(data, wrapper).items()} for _ in range(STUDENT_STEPS)]
    assert logs[-1]["loss"] < 0.25 * logs[0]["loss"], [log["loss"] for log in logs]
    for term in ("loss_ce", "loss_local", "loss_rntk"):  # the labels and the teacher are both being learnt
        assert logs[-1][term] < 0.5 * logs[0][term], (term, [log[term] for log in logs])
    assert accuracy(model) >= 0.6  # ten classes: chance is 0.1


def test_predict_mode_gives_top5_and_labels(teacher_ckpt):
    model = build(teacher_ckpt, LDRLD).eval()
    out = model.val_step(batch(4))
    assert len(out) == 4
    assert all(p["topk"].shape == (5,) and int(p["gt_label"]) in range(10) for p in out)
    logits = model(**model.data_preprocessor(batch(4), False), mode="tensor")
    assert torch.equal(out[0]["topk"], logits[0].topk(5).indices)


def test_topk_accuracy_metric():
    from ldrld_cls.engine.metric import TopKAccuracy

    metric = TopKAccuracy(topk=(1, 5))
    metric.dataset_meta = {}
    samples = [
        {"topk": torch.tensor([3, 1, 2, 0, 4]), "gt_label": torch.tensor(3)},  # top-1 hit
        {"topk": torch.tensor([1, 3, 2, 0, 4]), "gt_label": torch.tensor(4)},  # top-5 hit
        {"topk": torch.tensor([1, 3, 2, 0, 4]), "gt_label": torch.tensor(9)},  # miss
        {"topk": torch.tensor([9, 3, 2, 0, 4]), "gt_label": torch.tensor(9)},
    ]  # top-1 hit
    metric.process({}, samples)
    assert metric.evaluate(4) == {"accuracy/top1": 50.0, "accuracy/top5": 75.0}
    with pytest.raises(ValueError, match="topk must be positive integers"):
        TopKAccuracy(topk=(0,))


def test_teacher_checkpoint_errors_name_the_teacher(tmp_path, teacher_ckpt):
    other = write_random_teacher("vgg8", 10, "cifar", str(tmp_path / "vgg8.pth"))
    with pytest.raises(CheckpointError, match=r"(?s)model.teacher \(arch='resnet20'.*does not fit.*missing keys"):
        build(None, LDRLD, teacher=dict(arch="resnet20", checkpoint=other))
    fewer = write_random_teacher("resnet20", 5, "cifar", str(tmp_path / "resnet20_5.pth"))
    with pytest.raises(ClassCountError, match=r"trained for 5 classes .*built for 10"):
        build(None, LDRLD, teacher=dict(arch="resnet20", checkpoint=fewer))
    with pytest.raises(CheckpointError, match="none.pth: no such file"):
        build(None, LDRLD, teacher=dict(arch="resnet20", checkpoint=str(tmp_path / "none.pth")))
    with pytest.raises(InputError, match="has no checkpoint: pass --teacher-checkpoint"):
        build(None, LDRLD, teacher=dict(arch="resnet20", checkpoint=None))
    with pytest.raises(InputError, match="go together"):
        build(None, None, teacher=dict(arch="resnet20", checkpoint=teacher_ckpt))


def test_a_checkpoint_of_this_trainer_serves_as_teacher(tmp_path):
    """MMEngine checkpoints keep the trained network under 'student.' beside log buffers."""
    from mmengine.logging import HistoryBuffer

    torch.manual_seed(3)
    source = build(None, None, student="resnet20")
    buffer = HistoryBuffer()
    buffer.update(1.5)
    path = tmp_path / "epoch_240.pth"
    torch.save(
        {
            "meta": {"epoch": 240},
            "state_dict": source.state_dict(),
            "message_hub": {"log_scalars": {"train/loss": buffer}},
        },
        path,
    )
    model = build(None, LDRLD, teacher=dict(arch="resnet20", checkpoint=str(path)))
    assert torch.equal(model.teacher.fc.weight, source.student.fc.weight)


def test_mmengine_log_buffers_load_weights_only_but_getattr_stays_forbidden(tmp_path):
    from mmengine.logging import HistoryBuffer

    buffer = HistoryBuffer()
    buffer.update(2.5)
    good = tmp_path / "hub.pth"
    torch.save({"message_hub": {"train/loss": buffer}}, good)  # pickles getattr(HistoryBuffer, 'mean') etc.
    assert torch.load(good, weights_only=True)["message_hub"]["train/loss"].current() == 2.5

    class Reach:  # pickles as getattr(OrderedDict, 'fromkeys'): not a HistoryBuffer method
        def __reduce__(self):
            return getattr, (collections.OrderedDict, "fromkeys")

    evil = tmp_path / "evil.pth"
    torch.save({"x": Reach()}, evil)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil, weights_only=True)


def test_atomic_write_keeps_the_old_file_when_saving_fails(tmp_path, monkeypatch):
    from mmengine.fileio import get_file_backend

    target = tmp_path / "epoch_1.pth"
    atomic_write_bytes(b"old checkpoint", target)
    assert oct(os.stat(target).st_mode & 0o777) != oct(0o600)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(b"new checkpoint, half written", target)
    monkeypatch.undo()
    assert target.read_bytes() == b"old checkpoint"
    assert os.listdir(tmp_path) == ["epoch_1.pth"]  # no temporary file left behind
    backend = get_file_backend(str(target), backend_args=dict(backend=BACKEND_NAME))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b"new", str(target))
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize(
    "config,lr,warmup,milestones,epochs",
    [
        ("cifar100/resnet32x4_resnet8x4_ldrld.py", 0.05, 20, (150, 180, 210), 240),
        ("imagenet/resnet34_resnet18_ldrld.py", 0.1, 10, (30, 60, 90), 100),
    ],
)
def test_learning_rate_schedule(config, lr, warmup, milestones, epochs):
    """Linear warm-up to the base lr, then x0.1 at each milestone (simulated per iteration)."""
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "cls")
    cfg = Config.fromfile(os.path.join(root, config))
    assert cfg.optim_wrapper.optimizer.lr == lr and cfg.train_cfg.max_epochs == epochs
    iters = 4
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s), default_args=dict(optimizer=wrapper, epoch_length=iters))
        for s in cfg.param_scheduler
    ]
    seen = {}
    for epoch in range(epochs):
        seen[epoch] = wrapper.optimizer.param_groups[0]["lr"]
        for _ in range(iters):
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
    assert seen[0] == pytest.approx(lr * 0.01)
    assert seen[warmup // 2] < seen[warmup - 1] < lr
    assert seen[warmup] == pytest.approx(lr) and seen[milestones[0] - 1] == pytest.approx(lr)
    for k, m in enumerate(milestones, start=1):
        assert seen[m] == pytest.approx(lr * 0.1**k)
    assert seen[epochs - 1] == pytest.approx(lr * 1e-3)
