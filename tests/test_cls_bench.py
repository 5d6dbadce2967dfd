"""tools/bench_cls.py runs and reports every method (a smoke run; the benchmark itself is not a test)."""
import importlib.util
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_reports_ce_kd_dkd_and_ldrld(capsys):
    spec = importlib.util.spec_from_file_location("bench_cls", os.path.join(ROOT, "tools", "bench_cls.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        report = bench.main(["--device", "cpu", "--pair", "resnet8:resnet8", "--batch-size", "8", "--images", "32",
                             "--steps", "1", "--warmup", "0", "--rounds", "1", "--workers", "0", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    assert [r["method"] for r in report["results"]] == ["ce", "kd", "dkd", "ldrld"]
    assert report["steps_per_epoch"] == 4
    assert all(r["ms_per_step"] > 0 and r["s_per_epoch"] > 0 for r in report["results"])
    out = capsys.readouterr().out
    assert "LDRLD / KD per step" in out and "s/epoch with data loading" in out


def test_bench_cls_fast_path_on_cpu(capsys):
    spec = importlib.util.spec_from_file_location("bench_cls", os.path.join(ROOT, "tools", "bench_cls.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        report = bench.main(["--device", "cpu", "--pair", "resnet8:resnet8", "--batch-size", "8", "--images", "32",
                             "--steps", "1", "--warmup", "0", "--rounds", "1", "--workers", "0", "--threads", "1",
                             "--methods", "kd,ldrld", "--fast", "--full-epoch"])
    finally:
        torch.set_num_threads(threads)
    assert report["fast"] and report["amp"] == "bf16"
    assert [r["method"] for r in report["results"]] == ["kd", "ldrld"]
    assert all(r["epoch_measured"] and r["s_per_epoch"] > 0 for r in report["results"])
    assert "fast path on" in capsys.readouterr().out


def test_bench_gpu_script_runs_its_sections_on_cpu(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_gpu", os.path.join(ROOT, "tools", "bench_gpu.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        table = bench.main(["--device", "cpu", "--quick", "--only", "cls fast", "--json", str(tmp_path / "b.json")])
    finally:
        torch.set_num_threads(threads)
    sections = {r["section"] for r in table.rows}
    assert sections == {"cls step", "cls epoch"}, sections
    assert all(r["value"] > 0 for r in table.rows)
    out = capsys.readouterr().out
    assert "| cls step | fast: ldrld |" in out and "targets on one H100/H200" in out
    saved = __import__("json").loads((tmp_path / "b.json").read_text())
    assert saved["device"].startswith("CPU") and len(saved["rows"]) == len(table.rows)
    assert bench._importable("torch", "ldrld_no_such_package") == ["ldrld_no_such_package"]
