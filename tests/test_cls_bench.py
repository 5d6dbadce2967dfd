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
