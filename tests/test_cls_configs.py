"""Every classification config: it builds and runs two training iterations
(and a validation) on generated data in its data set's format; its recipe
matches the supplementary (Tables 7-10, section 2.4); the files match what
``python -m ldrld_cls.recipes`` writes."""

import functools
import glob
import math
import os

import pytest

import ldrld_cls.engine  # noqa: F401  (registers the modules the configs name)
from ldrld_cls.engine.smoke import build_runner, smoke_config, write_random_teacher
from toy.cls import make_toy_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_ROOT = os.path.join(ROOT, "configs", "cls")
CONFIGS = sorted(
    os.path.relpath(p, CONFIG_ROOT)
    for p in glob.glob(os.path.join(CONFIG_ROOT, "**", "*.py"), recursive=True)
    if "_base_" not in os.path.relpath(p, CONFIG_ROOT)
)
TOY_KIND = {"cifar100": "cifar100", "tiny_imagenet": "tiny-imagenet", "imagenet": "imagenet", "cub200": "cub200"}

# supplementary Tables 7-10: LDRLD (alpha, beta) per teacher_student
PAPER_ALPHA_BETA = {
    "cifar100/vgg13_mobilenetv2": (7.0, 4.0),
    "cifar100/resnet50_mobilenetv2": (11.0, 7.0),
    "cifar100/resnet50_vgg8": (9.5, 3.5),
    "cifar100/resnet32x4_shufflev1": (8.0, 8.0),
    "cifar100/resnet32x4_shufflev2": (9.5, 7.0),
    "cifar100/wrn_40_2_shufflev1": (11.0, 7.0),
    "cifar100/wrn_40_2_wrn_16_2": (11.5, 7.0),
    "cifar100/wrn_40_2_wrn_40_1": (9.0, 4.0),
    "cifar100/resnet56_resnet20": (9.5, 1.0),
    "cifar100/resnet110_resnet20": (6.5, 1.0),
    "cifar100/resnet110_resnet32": (8.0, 1.0),
    "cifar100/resnet32x4_resnet8x4": (10.5, 7.0),
    "cifar100/vgg13_vgg8": (11.0, 8.5),
    "tiny_imagenet/wrn_40_2_wrn_16_2": (8.5, 5.0),
    "tiny_imagenet/resnet56_resnet20": (8.0, 4.0),
    "tiny_imagenet/resnet110_resnet20": (8.5, 5.0),
    "tiny_imagenet/vgg13_mobilenetv2": (6.0, 4.0),
    "tiny_imagenet/vgg13_vgg8": (8.5, 4.5),
    "imagenet/resnet34_resnet18": (7.0, 0.025),
    "imagenet/resnet50_mobilenetv1": (5.0, 2.0),
}
CUB_PAIRS = {"resnet32x4_mobilenetv2", "resnet32x4_shufflev1", "vgg13_mobilenetv2", "vgg13_vgg8", "resnet50_shufflev1"}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    base = tmp_path_factory.mktemp("cls_configs_data")
    # two classes with two training images each: two iterations at batch 2; two validation images
    return {
        name: make_toy_dataset(kind, str(base / name), seed=0, active_classes=2, train_per_class=2, val_per_class=1)
        for name, kind in TOY_KIND.items()
    }


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    base = tmp_path_factory.mktemp("cls_configs_teachers")
    cache = {}

    def get(arch, family, num_classes):
        key = (arch, family, num_classes)
        if key not in cache:
            path = str(base / f"{arch}_{family}_{num_classes}.pth")
            cache[key] = write_random_teacher(arch, num_classes, family, path, wrap=family == "cifar")
        return cache[key]

    return get


@functools.cache
def _load(rel):
    """A config as read from disk (shared: callers must not modify it)."""
    from mmengine.config import Config

    return Config.fromfile(os.path.join(CONFIG_ROOT, rel))


@pytest.mark.parametrize("rel", CONFIGS)
def test_config_builds_and_runs_two_iterations(rel, toy, teachers, tmp_path):
    cfg = _load(rel)
    dataset = rel.split(os.sep)[0]
    model = cfg.model
    checkpoint = None
    if model.get("teacher"):
        checkpoint = teachers(model.teacher.arch, model.teacher.get("family", model.family), model.num_classes)
    runner = build_runner(smoke_config(cfg, toy[dataset], str(tmp_path), teacher_checkpoint=checkpoint))
    runner.train()
    assert (runner.epoch, runner.iter) == (1, 2)
    loss = runner.message_hub.get_scalar("train/loss").current()
    assert math.isfinite(loss) and loss > 0
    assert 0 <= runner.message_hub.get_scalar("val/accuracy/top1").current() <= 100
    distiller = runner.model
    assert distiller.student.arch == model.student.arch
    if model.get("teacher"):
        assert not distiller.teacher.training and distiller.teacher.arch == model.teacher.arch
        kind = model.distill_loss.type
        method = os.path.basename(rel)[:-3].split("_")
        expected = {"ldrld": {"LDRLDLoss", "DistillLossSum"}, "kd": {"KDLoss"}, "dkd": {"DKDLoss"}}
        assert kind in set().union(*(expected[m] for m in method if m in expected)), (rel, kind)
    else:
        assert "vanilla" in rel and distiller.teacher is None


def _pairs(dataset):
    return sorted(
        {
            os.path.basename(r)[: -len("_ldrld.py")]
            for r in CONFIGS
            if r.startswith(dataset + os.sep)
            and r.endswith("_ldrld.py")
            and os.sep + "ablations" not in r
            and r.count(os.sep) == 1
        }
    )


def test_every_pair_of_the_tables_has_ldrld_kd_and_dkd_configs():
    found = {f"{d}/{p}" for d in ("cifar100", "tiny_imagenet", "imagenet") for p in _pairs(d)}
    assert found == set(PAPER_ALPHA_BETA)
    assert set(_pairs("cub200")) == CUB_PAIRS
    for dataset in TOY_KIND:
        for pair in _pairs(dataset):
            for method in ("kd", "dkd"):
                assert f"{dataset}/{pair}_{method}.py" in CONFIGS
        teachers = {_load(f"{dataset}/{p}_ldrld.py").model.teacher.arch.lower() for p in _pairs(dataset)}
        for teacher in teachers:
            assert f"{dataset}/vanilla/{teacher}.py" in CONFIGS, (dataset, teacher)


@pytest.mark.parametrize("pair", sorted(PAPER_ALPHA_BETA))
def test_ldrld_recipes_follow_the_supplementary(pair):
    cfg = _load(f"{pair}_ldrld.py")
    loss = cfg.model.distill_loss
    dataset, name = pair.split("/")
    assert (loss.alpha, loss.beta) == PAPER_ALPHA_BETA[pair]
    assert loss.depth == (9 if name == "resnet32x4_shufflev1" else 7)  # section 2.4
    assert loss.temperature == (2.0 if dataset == "imagenet" else 4.0)
    lr = cfg.optim_wrapper.optimizer.lr
    student = cfg.model.student.arch
    if dataset == "cifar100":
        assert lr == (0.01 if student in ("MobileNetV2", "ShuffleV1", "ShuffleV2") else 0.05)
        assert cfg.train_dataloader.batch_size == 64
    elif dataset == "tiny_imagenet":
        assert lr == (0.02 if student == "MobileNetV2" else 0.1)
        assert cfg.train_dataloader.batch_size == 128
    else:
        assert lr == 0.1 and cfg.train_dataloader.batch_size == 256
    schedule = {s.type: s for s in cfg.param_scheduler}
    if dataset == "imagenet":
        assert (cfg.train_cfg.max_epochs, schedule["LinearLR"].end, cfg.optim_wrapper.optimizer.weight_decay) == (
            100,
            10,
            1e-4,
        )
        assert schedule["MultiStepLR"].milestones == [30, 60, 90]
    else:
        assert (cfg.train_cfg.max_epochs, schedule["LinearLR"].end, cfg.optim_wrapper.optimizer.weight_decay) == (
            240,
            20,
            5e-4,
        )
        assert schedule["MultiStepLR"].milestones == [150, 180, 210]
    assert cfg.optim_wrapper.optimizer.momentum == 0.9
    assert "constructor" not in cfg.optim_wrapper  # MMEngine's default: the teacher is outside the parameters


def test_kd_and_dkd_baselines_share_the_ldrld_rows_schedule():
    for rel in CONFIGS:
        if rel.endswith(("_kd.py", "_dkd.py")) and "ablations" not in rel:
            ours, ldrld = _load(rel), _load(rel.rsplit("_", 1)[0] + "_ldrld.py")
            assert ours.optim_wrapper.optimizer.lr == ldrld.optim_wrapper.optimizer.lr, rel
            assert ours.model.teacher == ldrld.model.teacher and ours.model.student == ldrld.model.student


def test_ablation_switches():
    base = "cifar100/ablations/resnet32x4_resnet8x4_"
    assert _load(base + "ldrld_local_only.py").model.distill_loss.use_rntk is False
    assert _load(base + "ldrld_rntk_only.py").model.distill_loss.use_local is False
    assert _load(base + "ldrld_no_adw.py").model.distill_loss.adw is False
    assert [_load(base + f"ldrld_rntk_only_d{d}.py").model.distill_loss.depth for d in (3, 5, 9)] == [3, 5, 9]
    assert _load(base + "ldrld_nckd_only.py").model.distill_loss.non_target == "nckd"
    assert _load(base + "ldrld_noise10.py").train_dataloader.dataset.noise_rate == 0.1
    assert _load(base + "ldrld_noise10.py").val_dataloader.dataset.get("noise_rate", 0) == 0
    combo = _load(base + "ldrld_plus_dkd.py").model.distill_loss
    assert combo.type == "DistillLossSum" and [m.type for m in combo.losses] == ["LDRLDLoss", "DKDLoss"]
    assert "alpha" not in combo  # the base's LDRLD arguments were replaced, not merged


def test_config_files_match_the_recipe_tables(tmp_path):
    from ldrld_cls import recipes

    written = recipes.all_configs()
    assert sorted(written) == [c for c in CONFIGS]
    for rel, text in written.items():
        with open(os.path.join(CONFIG_ROOT, rel)) as f:
            assert f.read() == text, f"{rel} differs from `python -m ldrld_cls.recipes`"
