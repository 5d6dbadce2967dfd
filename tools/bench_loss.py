"""Time forward + backward of the distillation losses at each task's logit shape, beside the
forms users would otherwise write, all in one run.

    python tools/bench_loss.py [--device cpu|cuda] [--threads N] [--compile] [--literal] [--json]

Rows are shapes (CIFAR-100, ImageNet-1K, COCO RoIs, Market-1501); columns are milliseconds per
forward + backward of:

- ``KD one-liner``: ``F.kl_div(F.log_softmax(s/T), F.softmax(t/T), 'batchmean') * T * T``, the KD
  every repository writes (tools/reference_forms.py), and ``KDLoss``, ours;
- ``DKD authors``: the DKD authors' ``dkd_loss`` (tools/reference_forms.py), and ``DKDLoss``;
- ``LDRLDLoss``: ours, as a trainer calls it (the one implementation, on every device: torch ops
  that autograd differentiates), and ``LDRLD autograd``: the same O(N * (C + d^2)) form written
  apart (tools/reference_forms.py), as a user would write it from the paper;
- on CUDA also ``LDRLDLoss checked every call`` (``check_every=1``: the input values checked on
  every call, each check a host read), to show what taking the checks off the hot path saves;
- with ``--compile``: ``LDRLDLoss(compile=True)`` and ``torch.compile`` of the KD one-liner;
- with ``--literal``: LDRLD written literally from its definition (docs/architecture.md, "The loss"; one
  masked softmax per pair).

Every loss is called with ``ce_weight=0`` so that only the distillation terms are timed, and
back-propagates to the student's logits only (the teacher's come from a frozen network). Each figure is the median over
``--repeats`` blocks of back-to-back calls, the methods taking turns block by block, so a load on
a shared machine falls on all of them alike; the ratios (ours / theirs) come from the same run.
On CUDA each method's peak memory above the inputs is reported too.
"""

import argparse
import json
import os
import platform
import statistics
import time

import torch

from ldrld_core import DKDLoss, KDLoss, LDRLDLoss

import reference_forms  # tools/, beside this script

SHAPES = [  # task, N, C, depth, temperature
    ("CIFAR-100", 64, 100, 7, 4.0),
    ("ImageNet-1K", 256, 1000, 7, 2.0),
    ("COCO RoIs", 4096, 81, 7, 1.0),
    ("Market-1501", 64, 751, 7, 4.0),
]
RATIOS = [
    ("LDRLDLoss", "KD one-liner"),
    ("KDLoss", "KD one-liner"),
    ("DKDLoss", "DKD authors"),
    ("LDRLD autograd", "LDRLDLoss"),
    ("LDRLDLoss compiled", "KD one-liner"),
]  # those present


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(fns, s, t, device, repeats, block_ms=20.0):
    """Median milliseconds per forward + backward for each of ``fns`` (``fn(s, t) -> scalar``),
    timed as ``timeit`` does: blocks of back-to-back calls of about ``block_ms``, the methods
    taking turns block by block."""

    def block(fn, calls):
        _sync(device)
        start = time.perf_counter()
        for _ in range(calls):
            s.grad = t.grad = None
            fn(s, t).backward()
        _sync(device)
        return (time.perf_counter() - start) * 1e3 / calls

    calls = {}
    for name, fn in fns.items():
        block(fn, 3)  # warm-up (and compilation)
        calls[name] = max(1, int(block_ms / max(block(fn, 3), 1e-3)))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(block(fn, calls[name]))
    return {name: statistics.median(v) for name, v in samples.items()}


def peak_mib(fns, s, t, device):
    """Peak CUDA memory of one forward + backward above what the inputs hold, per method."""
    out = {}
    for name, fn in fns.items():
        s.grad = t.grad = None
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn(s, t).backward()
        _sync(device)
        out[name] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
    return out


def _total(out):
    return sum(out.values())


def methods(device, depth, T, target, forms, use_compile, literal):
    kd, dkd = KDLoss(temperature=T, ce_weight=0.0), DKDLoss(temperature=T, ce_weight=0.0, warmup=0)
    ldrld = LDRLDLoss(depth=depth, temperature=T, ce_weight=0.0)
    fns = {
        "KD one-liner": lambda s, t: forms.standard_kd(s, t, T),
        "KDLoss": lambda s, t: _total(kd(s, t)),
        "DKD authors": lambda s, t: forms.authors_dkd(s, t, target, 1.0, 8.0, T),
        "DKDLoss": lambda s, t: _total(dkd(s, t, target)),
        "LDRLDLoss": lambda s, t: _total(ldrld(s, t)),
    }
    fns["LDRLD autograd"] = lambda s, t: sum(forms.autograd_ldrld(s, t, depth, T))
    if use_compile:
        ldrld_compiled = LDRLDLoss(depth=depth, temperature=T, ce_weight=0.0, compile=True)
        kd_compiled = torch.compile(forms.standard_kd)
        fns["LDRLDLoss compiled"] = lambda s, t: _total(ldrld_compiled(s, t))
        fns["KD one-liner compiled"] = lambda s, t: kd_compiled(s, t, T)
    if literal:
        fns["literal LDRLD"] = lambda s, t: sum(forms.literal_ldrld(s, t, depth, T))
    return fns


def run(device, repeats, use_compile=False, literal=False):
    forms = reference_forms
    results = []
    for task, n, c, depth, T in SHAPES:
        gen = torch.Generator().manual_seed(0)
        s = torch.randn(n, c, generator=gen).mul(3).to(device).requires_grad_(True)
        t = torch.randn(n, c, generator=gen).mul(3).to(device)
        y = torch.randint(0, c, (n,), generator=gen).to(device)
        fns = methods(device, depth, T, y, forms, use_compile, literal)
        row = {"task": task, "N": n, "C": c, "depth": depth, "ms": time_ms(fns, s, t, device, repeats)}
        row["ratios"] = {f"{a} / {b}": row["ms"][a] / row["ms"][b] for a, b in RATIOS if a in row["ms"]}
        if device.type == "cuda":
            row["peak_mib"] = peak_mib(fns, s, t, device)
        results.append(row)
    return results


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def print_table(results, device):
    print(
        f"forward + backward, median ms on {device_name(device)} (torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads)"
    )
    for key, unit in (("ms", "ms"), ("peak_mib", "MiB")):
        if key not in results[0]:
            continue
        names = list(results[0][key])
        header = f"{'shape':<24}" + "".join(f"{n:>22}" for n in names)
        print(f"\n{unit}\n{header}\n{'-' * len(header)}")
        for r in results:
            label = f"{r['task']} {r['N']}x{r['C']}"
            print(f"{label:<24}" + "".join(f"{r[key][n]:>22.3f}" for n in names))
    names = list(results[0]["ratios"])
    widths = [max(len(n) + 2, 12) for n in names]
    header = f"{'shape':<24}" + "".join(f"{n:>{w}}" for n, w in zip(names, widths))
    print(f"\nratios (time)\n{header}\n{'-' * len(header)}")
    for r in results:
        label = f"{r['task']} {r['N']}x{r['C']}"
        print(f"{label:<24}" + "".join(f"{r['ratios'][n]:>{w - 1}.2f}x" for n, w in zip(names, widths)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--compile", action="store_true", help="also time the torch.compile'd forms")
    parser.add_argument("--literal", action="store_true", help="also time the literal per-pair LDRLD")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: torch's own choice); 1 is steadier on a busy machine",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible to torch on this machine")
    device = torch.device(args.device)
    results = run(device, args.repeats, args.compile, args.literal)
    if args.json:
        print(
            json.dumps(
                {
                    "device": device_name(device),
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                    "results": results,
                }
            )
        )
    else:
        print_table(results, device)
    return results


if __name__ == "__main__":
    main()
