"""Time forward + backward of the distillation losses at each task's logit shape.

    python tools/bench_loss.py [--device cpu|cuda] [--json] [--compile] [--repeats 30]

Rows: the literal per-combination LDRLD of SPEC §1 (tests/literal_ldrld.py),
the vectorised ``ldrld_terms``, optionally the same under ``torch.compile``,
KD and DKD, each back-propagating the sum of its terms' means. Columns:
milliseconds per forward+backward (median over blocks of back-to-back calls,
the methods taking turns block by block), and the literal/vectorised and
LDRLD/KD ratios, all measured in this one run.
"""
import argparse
import json
import os
import statistics
import time

import torch

from ldrld_core import functional as LF
from ldrld_core.compiled import compiled

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _reference_forms():
    """The tests' reference forms (tests/literal_ldrld.py): the loss written literally as defined."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("literal_ldrld", os.path.join(ROOT, "tests", "literal_ldrld.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


literal_ldrld = _reference_forms().literal_ldrld

SHAPES = [  # task, N, C, depth, temperature
    ("CIFAR-100", 64, 100, 7, 4.0),
    ("ImageNet-1K", 256, 1000, 7, 2.0),
    ("COCO RoIs", 4096, 81, 7, 1.0),
    ("Market-1501", 64, 751, 7, 4.0),
]


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(fns, s, t, device, repeats, block_ms=20.0):
    """Median milliseconds per forward + backward for each of ``fns``.

    As ``timeit`` does, each sample is a block of back-to-back calls lasting
    about ``block_ms`` (at least one call), divided by its length, so a method
    is timed in its steady state rather than right after another method has
    churned the caches and the allocator. The methods take turns block by
    block, so a load on a shared machine falls on all of them alike and the
    ratios stay meaningful."""
    def block(fn, calls):
        _sync(device)
        start = time.perf_counter()
        for _ in range(calls):
            s.grad = None
            fn(s, t).backward()
        _sync(device)
        return (time.perf_counter() - start) * 1e3 / calls

    calls = {}
    for name, fn in fns.items():
        block(fn, 2)                                   # warm-up (and compilation)
        calls[name] = max(1, int(block_ms / max(block(fn, 3), 1e-3)))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(block(fn, calls[name]))
    return {name: statistics.median(v) for name, v in samples.items()}


def _total(rows):
    """The scalar a training loop back-propagates: the sum of the terms' means."""
    first, second = rows
    return first.mean() + second.mean()


def methods(depth, T, use_compile):
    fast = compiled(LF.ldrld_rows) if use_compile else None
    rows = {
        "literal LDRLD": lambda s, t: _total(literal_ldrld(s, t, depth, T)),
        "vectorised LDRLD": lambda s, t: _total(LF.ldrld_rows(s, t, depth, T)),
        "KD": lambda s, t: LF.kd_rows(s, t, T).mean(),
    }
    if fast is not None:
        rows["compiled LDRLD"] = lambda s, t: _total(fast(s, t, depth, T))
    return rows


def run(device, repeats, use_compile):
    results = []
    for task, n, c, depth, T in SHAPES:
        gen = torch.Generator().manual_seed(0)
        s = torch.randn(n, c, generator=gen).mul(3).to(device).requires_grad_(True)
        t = torch.randn(n, c, generator=gen).mul(3).to(device)
        y = torch.randint(0, c, (n,), generator=gen).to(device)
        row = {"task": task, "N": n, "C": c, "depth": depth}
        fns = methods(depth, T, use_compile)
        fns["DKD"] = lambda a, b: _total((LF.tckd_rows(a, b, y, T), LF.nckd_rows(a, b, y, T)))
        row.update(time_ms(fns, s, t, device, repeats))
        row["literal/vectorised"] = row["literal LDRLD"] / row["vectorised LDRLD"]
        row["vectorised/KD"] = row["vectorised LDRLD"] / row["KD"]
        if use_compile:
            row["compiled/KD"] = row["compiled LDRLD"] / row["KD"]
        results.append(row)
    return results


def print_table(results, device):
    keys = [k for k in results[0] if k not in ("task", "N", "C", "depth")]
    print(f"forward+backward, median ms on {device_name(device)} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads)")
    header = f"{'shape':<24}" + "".join(f"{k:>19}" for k in keys)
    print(header)
    print("-" * len(header))
    for r in results:
        label = f"{r['task']} {r['N']}x{r['C']}"
        cells = "".join(f"{r[k]:>18.2f}x" if "/" in k else f"{r[k]:>19.3f}" for k in keys)
        print(f"{label:<24}{cells}")


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--compile", action="store_true", help="also time the torch.compile'd LDRLD")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: torch's own choice); 1 is steadier on a busy machine")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible to torch on this machine")
    device = torch.device(args.device)
    results = run(device, args.repeats, args.compile)
    if args.json:
        print(json.dumps({"device": device_name(device), "torch": torch.__version__, "results": results}))
    else:
        print_table(results, device)


if __name__ == "__main__":
    main()
