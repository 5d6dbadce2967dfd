"""Cost of distillation in a Re-ID training step: seconds per iteration and peak memory.

    python tools/bench_reid.py [--device cpu|cuda] [--batch-size 32] [--iters 5] [--json]

Rows, all at the same batch and input size (default 32 x 3 x 256 x 128,
751 identities as in Market-1501's training set):

- student alone: ResNet-18 forward, torchreid's label-smoothed CE, backward, AMSGrad step;
- KD one-liner: the same plus the frozen ResNet-50 teacher's eval-mode forward and the KD every
  repository writes, ``F.kl_div(F.log_softmax(s/T), F.softmax(t/T), 'batchmean') * T * T``;
- KD, DKD, LDRLD: the same with this toolkit's ``KDLoss``, ``DKDLoss`` and ``LDRLDLoss``, each as the
  ``distill_loss`` of the packaged ``configs/reid/market1501_r50_r18_{kd,dkd,ldrld}.py`` gives it.

The step is the engine's own ``forward_backward`` (``ldrld_reid.engine.SoftmaxEngine`` for the
student alone, ``DistillSoftmaxEngine`` for the rest, the one-liner handed to it as its loss), on
a fixed random batch (no data set needed; random init, nothing is downloaded).
Time: one process holds all rows and runs them in turn, iteration by
iteration, so that the load of a shared machine falls on every row alike; the
median is reported. Peak memory: each row once more in a fresh process of its
own, on cuda ``torch.cuda.max_memory_allocated``, on cpu the process's peak
resident set size (``resource.getrusage(...).ru_maxrss``: Python, torch, the
models and the step together).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROWS = ("student alone", "KD one-liner", "KD", "DKD", "LDRLD")
NUM_CLASSES = 751
# the packaged Market-1501 configs whose distill_loss each distilled row runs (the student alone: none)
CONFIGS = {
    "KD": "configs/reid/market1501_r50_r18_kd.py",
    "DKD": "configs/reid/market1501_r50_r18_dkd.py",
    "LDRLD": "configs/reid/market1501_r50_r18_ldrld.py",
}
STUDENT, TEACHER = "resnet18", "resnet50"  # their model.name and teacher.name


def _loss(row):
    """The row's distillation loss: the one-liner, or the ``ldrld_core`` loss config the packaged
    config's ``distill_loss`` gives (``ldrld_reid.config.distill_loss_config``: ``ce_weight=0``)."""
    if row == "KD one-liner":
        return one_line_kd()
    if row not in CONFIGS:
        return None
    from ldrld_reid.config import distill_loss_config, load_config

    cfg = load_config(os.path.join(ROOT, CONFIGS[row]))
    if (cfg["model"]["name"], cfg["teacher"]["name"]) != (STUDENT, TEACHER):
        raise RuntimeError(
            f"{CONFIGS[row]} distils {cfg['teacher']['name']} -> {cfg['model']['name']}, not the "
            f"benchmark's {TEACHER} -> {STUDENT}"
        )
    return distill_loss_config(cfg)


def one_line_kd(T=4.0):
    """The KD every repository writes, as a module the engine takes in place of an ``ldrld_core`` loss."""
    import torch

    from reference_forms import standard_kd  # tools/, beside this script

    class OneLineKD(torch.nn.Module):
        def forward(self, s, t, pids, weight=None, progress=None):
            return {"loss_kd": standard_kd(s, t, T)}

    return OneLineKD()


class Row:
    """One row: the toolkit's engine (``SoftmaxEngine`` alone, ``DistillSoftmaxEngine`` with a
    teacher) and its own ``forward_backward`` on a fixed random batch. The engine is built on a
    stand-in for a data manager that holds no data (it reads only the loaders' places and the
    number of identities when it is built); nothing else is replaced."""

    def __init__(self, row, device, imgs, pids, teacher=None):
        from types import SimpleNamespace

        import torch

        from ldrld_reid import compat
        from ldrld_reid.engine import DistillSoftmaxEngine, SoftmaxEngine

        self.name, self.device = row, device
        compat.set_random_seed(0)
        student = compat.models().build_model(STUDENT, NUM_CLASSES, loss="softmax", pretrained=False).to(device).train()
        optimizer = compat.optim().build_optimizer(student, optim="amsgrad", lr=3e-4)
        data = SimpleNamespace(train_loader=None, test_loader={}, num_train_pids=NUM_CLASSES)
        use_gpu = device.type == "cuda"
        loss = _loss(row)
        if loss is None:
            self.engine = SoftmaxEngine(data, student, optimizer, use_gpu=use_gpu, label_smooth=True)
        else:
            self.engine = DistillSoftmaxEngine(data, student, optimizer, teacher, loss, use_gpu=use_gpu)
        self.engine.epoch, self.engine.batch_idx, self.engine.num_batches = 0, 0, 1
        self.batch = {"img": imgs, "pid": pids}
        self._torch = torch

    def step(self):
        self.engine.forward_backward(self.batch)

    def timed_step(self):
        self._sync()
        began = time.perf_counter()
        self.step()
        self._sync()
        return time.perf_counter() - began

    def _sync(self):
        if self.device.type == "cuda":
            self._torch.cuda.synchronize(self.device)


def _setup(rows, device_name, batch, height, width):
    import torch

    from ldrld_reid import compat
    from ldrld_reid.engine import freeze

    device = torch.device(device_name)
    compat.set_random_seed(0)
    imgs = torch.randn(batch, 3, height, width, device=device)
    pids = torch.randint(0, NUM_CLASSES, (batch,), device=device)
    teacher = None
    if set(rows) - {"student alone"}:  # a distilled row
        teacher = freeze(compat.models().build_model(TEACHER, NUM_CLASSES, loss="softmax", pretrained=False).to(device))
    return [Row(r, device, imgs, pids, teacher) for r in rows]


def time_rows(device_name, batch, height, width, iters, warmup):
    """Seconds per iteration of every row, measured in one process, the rows taking turns
    iteration by iteration so that a shared machine's load falls on all of them alike."""
    rows = _setup(ROWS, device_name, batch, height, width)
    for _ in range(warmup):
        for row in rows:
            row.step()
    samples = {row.name: [] for row in rows}
    for _ in range(iters):
        for row in rows:
            samples[row.name].append(row.timed_step())
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_memory(row_name, device_name, batch, height, width, steps=2):
    """Peak memory of one row in this (fresh) process: ``(MiB, what was measured)``."""
    import torch

    (row,) = _setup([row_name], device_name, batch, height, width)
    if row.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(row.device)
    for _ in range(steps):
        row.step()
    if row.device.type == "cuda":
        return torch.cuda.max_memory_allocated(row.device) / 2**20, "torch.cuda.max_memory_allocated"
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak RSS of the process (ru_maxrss)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--iters", type=int, default=5, help="timed iterations per row (median reported)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--row", choices=ROWS, help=argparse.SUPPRESS)  # internal: one row's peak memory
    args = p.parse_args(argv)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("bench_reid.py: error: --device cuda, but torch.cuda.is_available() is False", file=sys.stderr)
            return 2
    shape = [args.device, args.batch_size, args.height, args.width]
    if args.row:  # a child process: this row's peak memory only
        peak, what = peak_memory(args.row, *shape)
        print(json.dumps({"row": args.row, "peak_mib": peak, "memory": what}))
        return 0
    memory = {}
    given = sys.argv[1:] if argv is None else list(argv)
    for row in ROWS:  # a fresh process per row (its own peak memory), on these options
        cmd = [sys.executable, os.path.abspath(__file__), *given, "--row", row]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        memory[row] = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = time_rows(*shape, args.iters, args.warmup)
    results = [
        {"row": row, "s_per_iter": seconds[row], "peak_mib": memory[row]["peak_mib"], "memory": memory[row]["memory"]}
        for row in ROWS
    ]
    info = {
        "device": args.device,
        "batch": args.batch_size,
        "input": f"{args.height}x{args.width}",
        "classes": NUM_CLASSES,
        "iters": args.iters,
        "threads": _threads(),
        "rows": results,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    base = results[0]["s_per_iter"]
    print(
        f"Re-ID train step, {args.device}, batch {args.batch_size} x 3 x {args.height} x {args.width}, "
        f"{NUM_CLASSES} classes, median of {args.iters} iterations, torch threads {info['threads']}"
    )
    print(f"memory: {results[0]['memory']}")
    print("| row | s / iter | x student alone | peak MiB |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['row']} | {r['s_per_iter']:.3f} | {r['s_per_iter'] / base:.2f} | {r['peak_mib']:.0f} |")
    return 0


def _threads():
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    sys.exit(main())
