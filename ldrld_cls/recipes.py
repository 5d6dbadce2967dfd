"""The paper's classification recipes as data, and the writer of the config files.

Each ``Pair`` is one teacher -> student row of the supplementary's Tables 7 and
8 (CIFAR-100), 9 (Tiny-ImageNet), 10 (ImageNet-1K) or of Table 22 (CUB-200),
with LDRLD's alpha, beta, d and T, the student's learning rate, and DKD's beta
for the baseline. ``python -m ldrld_cls.recipes [configs/cls]`` (re)writes the
thin per-pair config files under ``configs/cls/<dataset>/``; the shared parts
live in ``configs/cls/_base_/``.
"""

import argparse
import os
import textwrap
from dataclasses import dataclass

from ldrld_core.errors import ConfigError


@dataclass(frozen=True)
class Pair:
    dataset: str
    table: str
    teacher: str
    student: str
    alpha: float
    beta: float
    lr: float
    depth: int = 7
    temperature: float = 4.0
    dkd_beta: float = 8.0
    note: str = ""


@dataclass(frozen=True)
class DatasetRecipe:
    name: str  # folder under configs/cls/
    title: str
    base: str  # file under configs/cls/_base_/
    teacher_checkpoint: str
    kd: dict  # KDLoss arguments of the KD baseline
    dkd: dict  # DKDLoss arguments (beta comes from the pair)
    summary: str  # batch, epochs, schedule (for the header comment)


_KD_CIFAR = dict(loss_weight=0.9, temperature=4.0, ce_weight=0.1)  # the KD code of CRD/DKD on CIFAR
_DKD_CIFAR = dict(alpha=1.0, temperature=4.0, warmup=20)

DATASETS = {
    "cifar100": DatasetRecipe(
        "cifar100",
        "CIFAR-100",
        "cifar100.py",
        "checkpoints/cifar100_teachers/{arch}_vanilla/ckpt_epoch_240.pth",
        _KD_CIFAR,
        _DKD_CIFAR,
        "batch 64, 240 epochs, lr warm-up 20 epochs, decay x0.1 at 150/180/210, wd 5e-4",
    ),
    "tiny_imagenet": DatasetRecipe(
        "tiny_imagenet",
        "Tiny-ImageNet",
        "tiny_imagenet.py",
        "checkpoints/tiny_imagenet_teachers/{arch}.pth",
        _KD_CIFAR,
        _DKD_CIFAR,
        "batch 128, 240 epochs, lr warm-up 20 epochs, decay x0.1 at 150/180/210, wd 5e-4",
    ),
    "imagenet": DatasetRecipe(
        "imagenet",
        "ImageNet-1K",
        "imagenet.py",
        "checkpoints/imagenet_teachers/{arch}",
        dict(loss_weight=0.5, temperature=1.0, ce_weight=0.5),  # DKD code's ImageNet KD
        dict(alpha=1.0, temperature=1.0, warmup=1),  # DKD code's ImageNet DKD
        "batch 256, 100 epochs, lr 0.1, warm-up 10 epochs, decay x0.1 at 30/60/90, wd 1e-4, T 2",
    ),
    "cub200": DatasetRecipe(
        "cub200",
        "CUB-200-2011",
        "cub200.py",
        "checkpoints/cub200_teachers/{arch}.pth",
        _KD_CIFAR,
        _DKD_CIFAR,
        "224x224 input, batch 64, 240 epochs, lr warm-up 20 epochs, decay x0.1 at 150/180/210, wd 5e-4",
    ),
}

# torchvision's ImageNet weights (IMAGENET1K_V1), the teachers of the KD literature's ImageNet rows
IMAGENET_TEACHER_FILES = {"ResNet34": "resnet34-b627a593.pth", "ResNet50": "resnet50-0676ba61.pth"}

# where a pair's weights come from, when not from its own table (printed in the generated config)
DKD_DEFAULT_BETA = "DKD beta: not in the DKD code's configs; its default 8"
DKD_NARROW_RESNET_BETA = "DKD beta: not in the DKD code's configs; 2 as for its other narrow-ResNet pairs"
TABLE12_OPTIMUM = "alpha/beta: Table 12's heterogeneous optimum"
TABLE7_WITH_DEPTH = "alpha/beta/d: Table 7's values for this pair"
TABLE7_VALUES = "alpha/beta: Table 7's values for this pair"
TABLE8_VALUES = "alpha/beta: Table 8's values for this pair"

PAIRS = (
    # CIFAR-100, Table 7 (heterogeneous); MobileNetV2 / ShuffleNet students use lr 0.01
    Pair("cifar100", "7", "vgg13", "MobileNetV2", 7.0, 4.0, 0.01, dkd_beta=6.0),
    Pair("cifar100", "7", "ResNet50", "MobileNetV2", 11.0, 7.0, 0.01, dkd_beta=8.0),
    Pair("cifar100", "7", "ResNet50", "vgg8", 9.5, 3.5, 0.05, dkd_beta=8.0, note=DKD_DEFAULT_BETA),
    Pair("cifar100", "7", "resnet32x4", "ShuffleV1", 8.0, 8.0, 0.01, depth=9, dkd_beta=8.0),
    Pair("cifar100", "7", "resnet32x4", "ShuffleV2", 9.5, 7.0, 0.01, dkd_beta=8.0),
    Pair("cifar100", "7", "wrn_40_2", "ShuffleV1", 11.0, 7.0, 0.01, dkd_beta=8.0),
    # CIFAR-100, Table 8 (homogeneous), lr 0.05
    Pair("cifar100", "8", "wrn_40_2", "wrn_16_2", 11.5, 7.0, 0.05, dkd_beta=6.0),
    Pair("cifar100", "8", "wrn_40_2", "wrn_40_1", 9.0, 4.0, 0.05, dkd_beta=6.0),
    Pair("cifar100", "8", "resnet56", "resnet20", 9.5, 1.0, 0.05, dkd_beta=2.0),
    Pair("cifar100", "8", "resnet110", "resnet20", 6.5, 1.0, 0.05, dkd_beta=2.0, note=DKD_NARROW_RESNET_BETA),
    Pair("cifar100", "8", "resnet110", "resnet32", 8.0, 1.0, 0.05, dkd_beta=2.0),
    Pair("cifar100", "8", "resnet32x4", "resnet8x4", 10.5, 7.0, 0.05, dkd_beta=8.0),
    Pair("cifar100", "8", "vgg13", "vgg8", 11.0, 8.5, 0.05, dkd_beta=6.0),
    # Tiny-ImageNet, Table 9: lr 0.1, 0.02 for MobileNetV2; DKD betas as on CIFAR-100 for the same families
    Pair("tiny_imagenet", "9", "wrn_40_2", "wrn_16_2", 8.5, 5.0, 0.1, dkd_beta=6.0),
    Pair("tiny_imagenet", "9", "resnet56", "resnet20", 8.0, 4.0, 0.1, dkd_beta=2.0),
    Pair("tiny_imagenet", "9", "resnet110", "resnet20", 8.5, 5.0, 0.1, dkd_beta=2.0),
    Pair("tiny_imagenet", "9", "vgg13", "MobileNetV2", 6.0, 4.0, 0.02, dkd_beta=6.0),
    Pair("tiny_imagenet", "9", "vgg13", "vgg8", 8.5, 4.5, 0.1, dkd_beta=6.0),
    # ImageNet-1K, Table 10: T = 2; DKD baseline as in the DKD code (beta 0.5 / 2.0, T 1, warm-up 1 epoch)
    Pair("imagenet", "10", "ResNet34", "ResNet18", 7.0, 0.025, 0.1, temperature=2.0, dkd_beta=0.5),
    Pair("imagenet", "10", "ResNet50", "MobileNetV1", 5.0, 2.0, 0.1, temperature=2.0, dkd_beta=2.0),
    # CUB-200, Table 22: the paper gives no CUB weights. Pairs that also appear on CIFAR-100 keep their
    # Table 7/8 values; the others take Table 12's heterogeneous optimum (alpha 9.5, beta 7.0).
    Pair("cub200", "22", "resnet32x4", "MobileNetV2", 9.5, 7.0, 0.01, dkd_beta=8.0, note=TABLE12_OPTIMUM),
    Pair("cub200", "22", "resnet32x4", "ShuffleV1", 8.0, 8.0, 0.01, depth=9, dkd_beta=8.0, note=TABLE7_WITH_DEPTH),
    Pair("cub200", "22", "vgg13", "MobileNetV2", 7.0, 4.0, 0.01, dkd_beta=6.0, note=TABLE7_VALUES),
    Pair("cub200", "22", "vgg13", "vgg8", 11.0, 8.5, 0.05, dkd_beta=6.0, note=TABLE8_VALUES),
    Pair("cub200", "22", "ResNet50", "ShuffleV1", 9.5, 7.0, 0.01, dkd_beta=8.0, note=TABLE12_OPTIMUM),
)

SMALL_STUDENTS = ("MobileNetV2", "ShuffleV1", "ShuffleV2")


def vanilla_lr(dataset, arch):
    """Learning rate for training ``arch`` alone (the teacher-training configs)."""
    if dataset == "imagenet":
        return 0.1
    if dataset == "tiny_imagenet":
        return 0.02 if arch == "MobileNetV2" else 0.1
    return 0.01 if arch in SMALL_STUDENTS else 0.05


def file_stem(arch):
    return arch.lower()


def pair_stem(pair):
    return f"{file_stem(pair.teacher)}_{file_stem(pair.student)}"


def teacher_checkpoint(pair):
    template = DATASETS[pair.dataset].teacher_checkpoint
    arch = IMAGENET_TEACHER_FILES[pair.teacher] if pair.dataset == "imagenet" else pair.teacher
    return template.format(arch=arch)


def _fmt(value):
    return repr(float(value)) if isinstance(value, float) else repr(value)


def _loss_literal(loss_type, args):
    body = ", ".join(f"{k}={_fmt(v)}" for k, v in args.items())
    return f"dict(type='{loss_type}', {body})"


def method_loss(pair, method):
    recipe = DATASETS[pair.dataset]
    if method == "ldrld":
        return "LDRLDLoss", dict(alpha=pair.alpha, beta=pair.beta, depth=pair.depth, temperature=pair.temperature)
    if method == "kd":
        return "KDLoss", dict(recipe.kd)
    if method == "dkd":
        args = dict(recipe.dkd)
        return "DKDLoss", dict(
            alpha=args["alpha"], beta=pair.dkd_beta, temperature=args["temperature"], warmup=args["warmup"]
        )
    raise ConfigError(f"method must be ldrld, kd or dkd, got {method!r}")


METHOD_TITLES = {"ldrld": "LDRLD", "kd": "KD (Hinton) baseline", "dkd": "DKD baseline"}


GENERATED = "Generated by `python -m ldrld_cls.recipes`"


def _comment(text):
    """``text`` as comment lines of at most 120 columns."""
    return "\n".join("# " + line for line in textwrap.wrap(text, 118, break_on_hyphens=False))


def pair_config(pair, method):
    recipe = DATASETS[pair.dataset]
    loss_type, args = method_loss(pair, method)
    comments = [
        f"{recipe.title}, Table {pair.table}: {pair.teacher} (teacher) -> {pair.student} (student), "
        f"{METHOD_TITLES[method]}."
    ]
    if method == "ldrld":
        comments.append(
            f"alpha {pair.alpha}, beta {pair.beta}, d {pair.depth}, T {pair.temperature}; "
            f"lr {pair.lr}; {recipe.summary}."
        )
    else:
        comments.append(f"Same data, schedule and lr ({pair.lr}) as the LDRLD row.")
    if pair.note and (method == "ldrld" and "alpha" in pair.note or method == "dkd" and "DKD" in pair.note):
        comments.append(f"{pair.note}.")
    comments.append(f"{GENERATED}; the teacher checkpoint can be overridden with --teacher-checkpoint PATH.")
    lines = [_comment(text) for text in comments] + [
        f"_base_ = ['../_base_/{recipe.base}']",
        "model = dict(",
        f"    teacher=dict(arch='{pair.teacher}', checkpoint='{teacher_checkpoint(pair)}'),",
        f"    student=dict(arch='{pair.student}'),",
        f"    distill_loss={_loss_literal(loss_type, args)},",
        ")",
        f"optim_wrapper = dict(optimizer=dict(lr={pair.lr}))",
    ]
    return "\n".join(lines) + "\n"


def vanilla_config(dataset, arch):
    recipe = DATASETS[dataset]
    teachers = {p.teacher for p in PAIRS if p.dataset == dataset}
    role = "teacher" if arch in teachers else "student baseline"
    comments = [
        f"{recipe.title}: {arch} trained alone with cross-entropy ({role}); lr {vanilla_lr(dataset, arch)}; "
        f"{recipe.summary}.",
        f"{GENERATED}.",
    ]
    if arch in teachers:
        comments.append(
            "Its best checkpoint (best_accuracy_top1_epoch_N.pth) serves as the teacher of the pair "
            "configs: --teacher-checkpoint PATH."
        )
    lines = [_comment(text) for text in comments]
    lines += [
        f"_base_ = ['../../_base_/{recipe.base}']",
        f"model = dict(student=dict(arch='{arch}'))",
        f"optim_wrapper = dict(optimizer=dict(lr={vanilla_lr(dataset, arch)}))",
    ]
    return "\n".join(lines) + "\n"


def _ablation_pair():
    return next(p for p in PAIRS if p.dataset == "cifar100" and (p.teacher, p.student) == ABLATION_PAIR)


def _sum_of(member):
    """The ablation body that replaces the pair's LDRLD loss by that loss + ``member`` (a dict literal)."""
    ldrld = _loss_literal(*method_loss(_ablation_pair(), "ldrld"))
    return (
        "model = dict(\n    distill_loss=dict(\n        _delete_=True,\n        type='DistillLossSum',\n"
        f"        losses=[\n            {ldrld},\n            {member},\n        ],\n    )\n)"
    )


# Ablations of the loss (docs/classification.md, "Ablation switches") on the main ablation pair (CIFAR-100).
ABLATION_PAIR = ("resnet32x4", "resnet8x4")
ABLATIONS = {
    "ldrld_local_only": (
        "Table 15: local dense relations only (no RNTK)",
        "model = dict(distill_loss=dict(use_rntk=False))",
    ),
    "ldrld_rntk_only": ("Table 15 / Table 17 (d 7): RNTK only", "model = dict(distill_loss=dict(use_local=False))"),
    "ldrld_rntk_only_d3": ("Table 17: RNTK only, d 3", "model = dict(distill_loss=dict(use_local=False, depth=3))"),
    "ldrld_rntk_only_d5": ("Table 17: RNTK only, d 5", "model = dict(distill_loss=dict(use_local=False, depth=5))"),
    "ldrld_rntk_only_d9": ("Table 17: RNTK only, d 9", "model = dict(distill_loss=dict(use_local=False, depth=9))"),
    "ldrld_nckd_only": (
        "Table 17: DKD's NCKD in place of RNTK, no local term",
        "model = dict(distill_loss=dict(use_local=False, non_target='nckd'))",
    ),
    "ldrld_no_adw": (
        "Section 3.2: every pair weighted 1 instead of the Adaptive Decay Weight",
        "model = dict(distill_loss=dict(adw=False))",
    ),
    "ldrld_noise10": (
        "Table 18: symmetric label noise at rate 0.1 (10%) on the training labels",
        "train_dataloader = dict(dataset=dict(noise_rate=0.1, noise_seed=0))",
    ),
    "dkd_noise10": (
        "Table 18: DKD with symmetric label noise at rate 0.1 (10%)",
        "train_dataloader = dict(dataset=dict(noise_rate=0.1, noise_seed=0))",
    ),
    "ldrld_plus_dkd": (
        "Table 20: LDRLD + DKD (the cross-entropy counted once)",
        _sum_of(_loss_literal("DKDLoss", dict(method_loss(_ablation_pair(), "dkd")[1], ce_weight=0.0))),
    ),
    "ldrld_plus_kd": (
        "Table 20's combination with a second logit loss, here Hinton's KD (weight 1, T 4)",
        _sum_of("dict(type='KDLoss', loss_weight=1.0, temperature=4.0, ce_weight=0.0)"),
    ),
}


def ablation_config(name):
    title, body = ABLATIONS[name]
    base = f"{ABLATION_PAIR[0]}_{ABLATION_PAIR[1]}_{name.split('_')[0]}.py"
    header = _comment(
        f"CIFAR-100 ablation on {ABLATION_PAIR[0]} -> {ABLATION_PAIR[1]}. {title}. {GENERATED}; the same "
        "switch applies to any pair through --cfg-options (see docs/classification.md)."
    )
    return f"{header}\n_base_ = ['../{base}']\n{body}\n"


def all_configs():
    """``{relative path under configs/cls: file text}`` for every generated config."""
    out = {}
    for pair in PAIRS:
        for method in ("ldrld", "kd", "dkd"):
            out[f"{pair.dataset}/{pair_stem(pair)}_{method}.py"] = pair_config(pair, method)
    for dataset in DATASETS:
        archs = []
        for pair in PAIRS:
            if pair.dataset == dataset:
                archs += [a for a in (pair.teacher, pair.student) if a not in archs]
        for arch in archs:
            out[f"{dataset}/vanilla/{file_stem(arch)}.py"] = vanilla_config(dataset, arch)
    for name in ABLATIONS:
        out[f"cifar100/ablations/{ABLATION_PAIR[0]}_{ABLATION_PAIR[1]}_{name}.py"] = ablation_config(name)
    return out


def write_configs(root):
    for rel, text in all_configs().items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return sorted(all_configs())


def main(argv=None):
    parser = argparse.ArgumentParser(description="write the per-pair classification configs")
    parser.add_argument("root", nargs="?", default="configs/cls", help="configs/cls folder (default: %(default)s)")
    args = parser.parse_args(argv)
    written = write_configs(args.root)
    print(f"wrote {len(written)} configs under {args.root}")


if __name__ == "__main__":
    main()
