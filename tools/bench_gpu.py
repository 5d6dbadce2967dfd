"""Every GPU benchmark of the toolkit in one run, within a time budget, as one table.

    python tools/bench_gpu.py                      # on a machine with a CUDA GPU: about 8 minutes at most
    python tools/bench_gpu.py --device cpu --quick # the same sections at toy size (what the tests run)

Sections, in this order (each starts only while the budget, ``--budget-s``, has room for it;
one that does not fit, or cannot run here, prints a row saying so):

1. ``loss``: ``tools/bench_loss.py`` (eager, then compiled): ms per forward + backward and peak
   memory at each task's logit shape, beside the standard KD and the DKD authors' form;
2. ``cls step`` and ``cls epoch``: ``tools/bench_cls.py`` for CE only, KD, DKD and LDRLD,
   without and with ``--fast``: ms per step and seconds per whole CIFAR-100-sized epoch (50,000
   synthetic uint8 images of the real size when ``--data-root`` is not given), data loading
   included, and peak memory;
3. ``det step`` and ``reid step``: ``tools/bench_det.py`` and ``tools/bench_reid.py``, where
   MMDetection (with mmcv's compiled ops) and torchreid are importable; a bare GPU machine with
   only torch skips them with a row that says so.

Needs only torch and this repository (plus mmengine, which bench_cls uses). Prints the table as
Markdown (paste it into docs/benchmarks.md) and, with ``--json FILE``, writes every figure.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import torch

from ldrld_core.atomic_io import atomic_write_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = ("loss", "cls default", "cls fast", "loss compiled", "det", "reid")
TARGETS = "targets on one H100/H200: LDRLD step <= 1.05x KD step; fast epoch <= 7 s; LDRLD peak memory <= KD + 1 %"


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Table:
    def __init__(self):
        self.rows = []

    def add(self, section, what, value, unit, note=""):
        self.rows.append(dict(section=section, what=what, value=value, unit=unit, note=note))

    def skip(self, section, why):
        self.add(section, "skipped", None, "", why)

    def markdown(self):
        lines = ["| section | what | value | note |", "| --- | --- | --- | --- |"]
        for r in self.rows:
            value = "" if r["value"] is None else f"{r['value']:.3f} {r['unit']}".strip()
            lines.append(f"| {r['section']} | {r['what']} | {value} | {r['note']} |")
        return "\n".join(lines)


def loss_section(table, device, quick, compile_):
    bench = _tool("bench_loss")
    results = bench.run(torch.device(device), 3 if quick else 20, use_compile=compile_)
    label = "loss compiled" if compile_ else "loss"
    for r in results:
        shape = f"{r['task']} {r['N']}x{r['C']}"
        for name, ms in r["ms"].items():
            if compile_ and "compiled" not in name:
                continue
            ratio = ms / r["ms"]["KD one-liner"]
            table.add(label, f"{shape}: {name}", ms, "ms", f"{ratio:.2f}x the KD one-liner")
        for name, mib in r.get("peak_mib", {}).items():
            if not compile_:
                table.add(label, f"{shape}: {name} peak memory", mib, "MiB")


def cls_section(table, device, quick, fast, data_root):
    bench = _tool("bench_cls")
    argv = ["--device", device, "--rounds", "1" if quick else "2", "--full-epoch"]
    if quick:
        argv += [
            "--pair",
            "resnet8:resnet8",
            "--batch-size",
            "8",
            "--images",
            "64",
            "--steps",
            "2",
            "--warmup",
            "1",
            "--workers",
            "0",
        ]
    if data_root:
        argv += ["--data-root", data_root]
    if fast:
        argv.append("--fast")
    report = bench.main(argv)
    by = {r["method"]: r for r in report["results"]}
    label = "fast" if fast else "default"
    for m, r in by.items():
        note = f"{r['ms_per_step'] / by['kd']['ms_per_step']:.3f}x KD" if "kd" in by else ""
        table.add("cls step", f"{label}: {m}", r["ms_per_step"], "ms", note)
        table.add(
            "cls epoch",
            f"{label}: {m} ({report['steps_per_epoch']} steps, data loading included)",
            r["s_per_epoch"],
            "s",
        )
        if r.get("peak_mib") is not None:
            table.add("cls memory", f"{label}: {m} peak (all methods so far, one process)", r["peak_mib"], "MiB")


def _importable(*names):
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    return missing


def det_section(table, device, quick):
    missing = _importable("mmdet", "mmcv")
    if missing:
        table.skip("det step", f"{', '.join(missing)} not installed here (mmcv's ops do not build in minutes)")
        return
    argv = [sys.executable, os.path.join(ROOT, "tools", "bench_det.py"), "--device", device, "--json"]
    if quick:
        argv += ["--iters", "1", "--warmup", "0", "--scale", "320x192", "--batch", "1"]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        table.skip("det step", f"bench_det.py failed: {out.stderr.strip().splitlines()[-1:]}")
        return
    results = json.loads(out.stdout.strip().splitlines()[-1])["results"]
    kd = next(r for r in results if r["variant"] == "KD")["s_per_iter"]
    for r in results:
        table.add("det step", r["variant"], r["s_per_iter"] * 1e3, "ms", f"{r['s_per_iter'] / kd:.3f}x KD")


def reid_section(table, device, quick):
    missing = _importable("torchreid")
    if missing:
        table.skip("reid step", "torchreid not installed here")
        return
    argv = [sys.executable, os.path.join(ROOT, "tools", "bench_reid.py"), "--device", device, "--json"]
    if quick:
        argv += ["--iters", "1", "--warmup", "0", "--batch-size", "4", "--height", "64", "--width", "32"]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        table.skip("reid step", f"bench_reid.py failed: {out.stderr.strip().splitlines()[-1:]}")
        return
    rows = json.loads(out.stdout[out.stdout.index("{") :])["rows"]
    kd = next((r["s_per_iter"] for r in rows if r["row"] == "KD"), None)
    for r in rows:
        note = f"{r['s_per_iter'] / kd:.3f}x KD" if kd else ""
        table.add("reid step", r["row"], r["s_per_iter"] * 1e3, "ms", note)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--quick", action="store_true", help="toy sizes: a check that every section runs")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting sections after this long")
    parser.add_argument("--data-root", help="a real CIFAR-100 folder for the cls sections")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--only", help="comma-separated sections to run (default: all): " + ", ".join(SECTIONS))
    args = parser.parse_args(argv)
    only = SECTIONS if args.only is None else [s.strip() for s in args.only.split(",")]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error(
            "--device cuda: no CUDA device is visible to torch on this machine "
            "(--device cpu --quick checks the script itself)"
        )
    began = time.perf_counter()
    table = Table()
    # name, estimated seconds on one H200 (none of the others' results is needed by any)
    sections = [
        ("loss", 30, lambda: loss_section(table, args.device, args.quick, False)),
        ("cls default", 120, lambda: cls_section(table, args.device, args.quick, False, args.data_root)),
        ("cls fast", 200, lambda: cls_section(table, args.device, args.quick, True, args.data_root)),
        ("loss compiled", 90, lambda: loss_section(table, args.device, args.quick, True)),
        ("det", 60, lambda: det_section(table, args.device, args.quick)),
        ("reid", 30, lambda: reid_section(table, args.device, args.quick)),
    ]
    for name, estimate, run in sections:
        if name not in only:
            continue
        left = args.budget_s - (time.perf_counter() - began)
        if not args.quick and left < estimate:
            table.skip(name, f"{left:.0f} s of the budget left, about {estimate} s needed")
            continue
        try:
            run()
        except Exception as err:  # noqa: BLE001  (one section failing must not lose the others' figures)
            table.skip(name, f"failed: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU ({os.cpu_count()} cores)"
    print(f"\n## bench_gpu: {where}, torch {torch.__version__}, {time.perf_counter() - began:.0f} s\n")
    print(f"{TARGETS}\n")
    print(table.markdown())
    if args.json:
        atomic_write_json({"device": where, "torch": torch.__version__, "rows": table.rows}, args.json)
    return table


if __name__ == "__main__":
    main()
