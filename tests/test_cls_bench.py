"""tools/bench_cls.py and tools/bench_gpu.py run and report every method on the CPU (smoke runs;
the benchmarks themselves are not tests)."""

import json

import torch

from tool_helpers import load_tool

SMALL = [
    "--device",
    "cpu",
    "--pair",
    "resnet8:resnet8",
    "--batch-size",
    "8",
    "--images",
    "32",
    "--steps",
    "1",
    "--warmup",
    "0",
    "--rounds",
    "1",
    "--workers",
    "0",
    "--threads",
    "1",
]


def bench_main(tool, args):
    """``tools/<tool>``'s ``main(args)`` in this process, torch's thread count restored after."""
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        return load_tool(tool).main(args)
    finally:
        torch.set_num_threads(threads)


def test_bench_reports_ce_the_one_line_kd_kd_dkd_and_ldrld(capsys):
    report = bench_main("bench_cls.py", SMALL)
    assert [r["method"] for r in report["results"]] == ["ce", "kd-oneliner", "kd", "dkd", "ldrld"]
    assert report["steps_per_epoch"] == 4
    assert all(r["ms_per_step"] > 0 and r["s_per_epoch"] > 0 for r in report["results"])
    out = capsys.readouterr().out
    assert "LDRLD / KD per step" in out and "s/epoch with data loading" in out


def test_bench_cls_fast_path_on_cpu(capsys):
    report = bench_main("bench_cls.py", SMALL + ["--methods", "kd,ldrld", "--fast", "--full-epoch"])
    assert report["fast"] and report["amp"] == "bf16"
    assert [r["method"] for r in report["results"]] == ["kd", "ldrld"]
    assert all(r["epoch_measured"] and r["s_per_epoch"] > 0 for r in report["results"])
    assert "fast path on" in capsys.readouterr().out


def test_bench_gpu_script_runs_its_sections_on_cpu(tmp_path, capsys):
    table = bench_main(
        "bench_gpu.py", ["--device", "cpu", "--quick", "--only", "cls fast", "--json", str(tmp_path / "b.json")]
    )
    sections = {r["section"] for r in table.rows}
    assert sections == {"cls step", "cls epoch"}, sections
    assert all(r["value"] > 0 for r in table.rows)
    out = capsys.readouterr().out
    assert "| cls step | fast: ldrld |" in out and "targets on one H100/H200" in out
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["device"].startswith("CPU") and len(saved["rows"]) == len(table.rows)
    assert load_tool("bench_gpu.py")._importable("torch", "ldrld_no_such_package") == ["ldrld_no_such_package"]
