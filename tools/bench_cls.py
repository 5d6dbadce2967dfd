"""Training cost of one CIFAR-100 distillation pair: CE only, the one-line KD, KD, DKD and LDRLD
(and, on request, DKD as its authors write it and LDRLD with autograd's backward).

    python tools/bench_cls.py                                  # resnet32x4 -> resnet8x4, batch 64, GPU if present
    python tools/bench_cls.py --device cpu --steps 10 --warmup 2
    python tools/bench_cls.py --pair vgg13:vgg8 --full-epoch   # time a whole epoch instead of extrapolating
    python tools/bench_cls.py --data-root data/cifar100         # real CIFAR-100 instead of synthetic images
    python tools/bench_cls.py --fast                            # the fast path (ldrld_cls.engine.fast)

For each method it reports milliseconds per training step (the distiller's
``train_step`` -- augmentation on the device, student forward and backward,
teacher forward, loss, SGD update -- on a batch already in memory) and seconds
per epoch with data loading (the CIFAR-100 config's data loader feeding
``train_step``; 50,000 images at batch 64 are 782 steps). Without
``--full-epoch`` the epoch time is extrapolated from ``--steps`` loader-fed
steps. The methods are timed in interleaved rounds and the median reported. The teacher has random
weights: the cost does not depend on them. ``--fast`` times the fast path of
``tools/train_cls.py --fast``: the data set on the device, channels_last, bfloat16
autocast and, on a GPU, ``train_step`` under ``torch.compile(mode='reduce-overhead')``.
A benchmark, not a test.
"""

import argparse
import json
import os
import pickle
import statistics
import tempfile
import time

import numpy as np
import torch

CIFAR_TRAIN_IMAGES = 50000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--pair", default="resnet32x4:resnet8x4", help="TEACHER:STUDENT (CIFAR family)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 200 on GPU, 20 on CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 20 GPU, 3 CPU)")
    parser.add_argument("--workers", type=int, default=4, help="data loader worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument(
        "--methods",
        default="ce,kd-oneliner,kd,dkd,ldrld",
        help="also: kd-oneliner (KD as F.kl_div(F.log_softmax(s/T), F.softmax(t/T), 'batchmean') * T * T), "
        "dkd-authors (DKD as its authors' code computes it), ldrld-autograd (LDRLD's form in plain torch ops, "
        "autograd's backward): the forms of tools/reference_forms.py in the same step",
    )
    parser.add_argument("--full-epoch", action="store_true", help="time one whole epoch of data loading + steps")
    parser.add_argument("--data-root", help="a CIFAR-100 folder; default: synthetic images in the CIFAR format")
    parser.add_argument("--images", type=int, default=CIFAR_TRAIN_IMAGES, help="synthetic training images")
    parser.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none", help="autocast dtype")
    parser.add_argument("--compile-loss", action="store_true", help="LDRLDLoss(compile=True)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads on CPU")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="the fast path: data on the device, channels_last, bf16, the step compiled on a GPU",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    return parser.parse_args(argv)


def synthetic_cifar(folder, images=CIFAR_TRAIN_IMAGES, seed=0):
    """A cifar-100-python folder of random images (train split only is read)."""
    rng = np.random.default_rng(seed)
    root = os.path.join(folder, "cifar-100-python")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "meta"), "wb") as f:
        pickle.dump({"fine_label_names": [f"c{i}" for i in range(100)]}, f)
    with open(os.path.join(root, "train"), "wb") as f:
        pickle.dump(
            {
                "data": rng.integers(0, 256, (images, 3072), dtype=np.uint8),
                "fine_labels": rng.integers(0, 100, images).tolist(),
                "filenames": [f"{i}.png" for i in range(images)],
            },
            f,
            protocol=4,
        )
    return folder


REFERENCE = {"kd-oneliner": "kd", "dkd-authors": "dkd", "ldrld-autograd": "ldrld"}


def method_loss(method, teacher, student):
    """The distillation loss of ``method`` with the recipe's values for the pair when it has one."""
    from ldrld_cls import recipes

    pair = next(
        (p for p in recipes.PAIRS if p.dataset == "cifar100" and (p.teacher, p.student) == (teacher, student)),
        recipes.Pair("cifar100", "-", teacher, student, 1.0, 1.0, 0.05),
    )
    if method == "ce":
        return None
    loss_type, args = recipes.method_loss(pair, REFERENCE.get(method, method))
    if method in REFERENCE:
        return ReferenceLoss(method, args)
    return dict(type=loss_type, **args)


class ReferenceLoss(torch.nn.Module):
    """A distiller's loss written as a user would without this toolkit: cross-entropy plus a form of
    ``tools/reference_forms.py`` (the one-line KD, the DKD authors' code, LDRLD in plain torch ops
    with autograd's backward), with the recipe's weights; DKD's warm-up ramp as its authors write it."""

    def __init__(self, method, args):
        super().__init__()
        self.method, self.args = method, dict(args)

    def forward(self, s, t, target=None, weight=None, progress=None):
        import torch.nn.functional as F

        import reference_forms as forms

        a, T = self.args, self.args.get("temperature", 4.0)
        out = {"loss_ce": a.get("ce_weight", 1.0) * F.cross_entropy(s, target)}
        if self.method == "kd-oneliner":
            out["loss_kd"] = a.get("loss_weight", 1.0) * forms.standard_kd(s, t, T)
        elif self.method == "dkd-authors":
            ramp = min((progress or 0.0) / a.get("warmup", 20.0), 1.0) if a.get("warmup", 20.0) else 1.0
            out["loss_dkd"] = ramp * forms.authors_dkd(s, t, target, a.get("alpha", 1.0), a.get("beta", 8.0), T)
        else:
            local, rntk = forms.autograd_ldrld(s, t, a.get("depth", 7), T, a.get("adw", True))
            out["loss_local"], out["loss_rntk"] = a.get("alpha", 1.0) * local, a.get("beta", 1.0) * rntk
        return out


def build(method, teacher, student, device, compile_loss, folder, fast=False):
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS

    from ldrld_cls.engine.smoke import write_random_teacher

    cfg = dict(
        type="ClsDistiller",
        num_classes=100,
        student=dict(arch=student),
        data_preprocessor=dict(
            type="ClsDataPreprocessor",
            mean=(0.5071, 0.4867, 0.4408),
            std=(0.2675, 0.2565, 0.2761),
            pad=4,
            flip=True,
            channels_last=fast,
        ),
        channels_last=fast,
    )
    loss = method_loss(method, teacher, student)
    if loss is not None:
        if isinstance(loss, dict) and loss["type"] == "LDRLDLoss" and compile_loss:
            loss["compile"] = True
        path = os.path.join(folder, f"teacher_{teacher}.pth")
        if not os.path.isfile(path):
            write_random_teacher(teacher, 100, "cifar", path)
        cfg.update(teacher=dict(arch=teacher, checkpoint=path), distill_loss=loss)
    model = MODELS.build(cfg).to(device)
    model.train()
    wrapper = build_optim_wrapper(
        model,
        dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9, weight_decay=5e-4)),
    )
    if fast and str(device).startswith("cuda"):
        from ldrld_core.compiled import compiled

        model.train_step = compiled(model.train_step, mode="reduce-overhead")
    return model, wrapper


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _autocast(device, amp):
    if amp == "none":
        return torch.autocast(device_type=str(device).split(":")[0], enabled=False)
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type=str(device).split(":")[0], dtype=dtype)


def time_steps(model, wrapper, batches, device):
    """Seconds for ``train_step`` over ``batches`` (an iterable: one batch reused, or the loader)."""
    _sync(device)
    start = time.perf_counter()
    done = 0
    for data in batches:
        model.train_step(data, wrapper)
        done += 1
    _sync(device)
    return time.perf_counter() - start, done


def _take(loader, count):
    for i, data in enumerate(loader):
        if i >= count:
            return
        yield data


def run_benchmark(args, loader, teacher, student, folder):
    """Every method is timed once per round, the methods interleaved (in reverse order every other
    round, so that no method always follows the same one), so that a machine whose speed drifts
    (shared cores) treats them alike; the median round is reported."""
    methods = args.methods.split(",")
    built = {m: build(m, teacher, student, args.device, args.compile_loss, folder, args.fast) for m in methods}
    batch = next(iter(loader))
    step_s = {m: [] for m in methods}
    epoch_s = {m: [] for m in methods}
    with _autocast(args.device, args.amp):
        for m in methods:
            time_steps(*built[m], [batch] * args.warmup, args.device)
        for k in range(args.rounds):
            for m in methods if k % 2 == 0 else methods[::-1]:  # no method always first or last
                seconds, _ = time_steps(*built[m], [batch] * args.steps, args.device)
                step_s[m].append(seconds / args.steps)
                limit = len(loader) if args.full_epoch else args.steps
                seconds, done = time_steps(*built[m], _take(loader, limit), args.device)
                epoch_s[m].append(seconds * len(loader) / done)
    peak = torch.cuda.max_memory_allocated() / 2**20 if str(args.device).startswith("cuda") else None
    return [
        dict(
            method=m,
            ms_per_step=1000 * statistics.median(step_s[m]),
            s_per_epoch=statistics.median(epoch_s[m]),
            ms_per_step_rounds=[1000 * v for v in step_s[m]],
            epoch_measured=args.full_epoch,
            loader_steps=len(loader) if args.full_epoch else args.steps,
            peak_mib=peak,
        )
        for m in methods
    ]


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    on_gpu = str(args.device).startswith("cuda")
    args.steps = args.steps or (200 if on_gpu else 20)
    args.warmup = args.warmup if args.warmup is not None else (20 if on_gpu else 3)
    if args.fast and args.amp == "none":
        args.amp = "bf16"
    teacher, _, student = args.pair.partition(":")
    from mmengine.runner import Runner

    import ldrld_cls.engine  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_root or synthetic_cifar(tmp, args.images)
        loader_cfg = dict(
            batch_size=args.batch_size,
            num_workers=args.workers,
            persistent_workers=args.workers > 0,
            pin_memory=on_gpu,
            sampler=dict(type="DefaultSampler", shuffle=True),
            collate_fn=dict(type="default_collate"),
            dataset=dict(type="CIFAR100", data_root=root, split="train"),
        )
        if args.fast:
            from ldrld_cls.engine.fast import on_device_loader

            loader_cfg = on_device_loader(loader_cfg)
            loader_cfg["dataset"]["device"] = args.device
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        results = run_benchmark(args, loader, teacher, student, tmp)
    device = torch.cuda.get_device_name() if on_gpu else f"CPU ({torch.get_num_threads()} threads)"
    print(
        f"{teacher} -> {student}, batch {args.batch_size}, {len(loader)} steps per epoch, device: {device}, "
        f"torch {torch.__version__}, amp {args.amp}, fast path {'on' if args.fast else 'off'}"
    )
    print(f"{'method':12s} {'ms/step':>9s} {'s/epoch with data loading':>27s}   (median of {args.rounds} rounds)")
    for r in results:
        how = "measured" if r["epoch_measured"] else f"extrapolated from {r['loader_steps']} steps"
        rounds = ", ".join(f"{v:.0f}" for v in r["ms_per_step_rounds"])
        print(f"{r['method']:12s} {r['ms_per_step']:9.1f} {r['s_per_epoch']:12.1f} ({how}; ms/step by round: {rounds})")
    by = {r["method"]: r for r in results}
    if "kd" in by and "ldrld" in by:
        print(f"LDRLD / KD per step: {by['ldrld']['ms_per_step'] / by['kd']['ms_per_step']:.3f}")
    report = dict(
        device=device,
        pair=args.pair,
        batch_size=args.batch_size,
        steps_per_epoch=len(loader),
        fast=args.fast,
        amp=args.amp,
        results=results,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
