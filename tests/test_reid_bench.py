"""tools/bench_reid.py times the engines' own training step (a smoke run; the benchmark is not a test)."""

import os

import torch

from ldrld_reid.config import load_config

from tool_helpers import ROOT, load_tool


def test_bench_reid_times_the_engines_own_forward_backward(monkeypatch):
    """Every row's step is ``forward_backward`` of the toolkit's engine (torchreid's for the student
    alone, ``DistillSoftmaxEngine``'s for the distilled rows, the one-liner handed to it as its loss),
    not a step written again in the benchmark: a spy on both records what each row ran and returned."""
    from ldrld_reid.engine import DistillSoftmaxEngine, ImageSoftmaxEngine

    ran = []

    def spy(original):
        def forward_backward(self, data):
            summary = original(self, data)
            ran.append((type(self).__name__, sorted(k for k in summary if k.startswith("loss_"))))
            return summary

        return forward_backward

    for cls in (ImageSoftmaxEngine, DistillSoftmaxEngine):
        monkeypatch.setattr(cls, "forward_backward", spy(cls.__dict__["forward_backward"]))
    bench = load_tool("bench_reid.py")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        rows = bench._setup(bench.ROWS, "cpu", 2, 64, 32)
        for row in rows:
            assert row.timed_step() > 0
    finally:
        torch.set_num_threads(threads)
    assert [name for name, _ in ran] == ["SoftmaxEngine"] + ["DistillSoftmaxEngine"] * 4
    losses = [type(row.engine.distill_loss).__name__ for row in rows[1:]]
    assert losses == ["OneLineKD", "KDLoss", "DKDLoss", "LDRLDLoss"]
    for row in rows[2:]:  # each the distill_loss of its packaged config, with ce_weight=0 (torchreid's CE is the CE)
        packaged = load_config(os.path.join(ROOT, bench.CONFIGS[row.name]))["distill_loss"]
        loss = row.engine.distill_loss
        assert loss.ce_weight == 0 and all(getattr(loss, k) == v for k, v in packaged.items() if k != "type")
    assert [terms for _, terms in ran] == [
        [],  # torchreid's own summary: loss and acc
        ["loss_ce", "loss_kd"],
        ["loss_ce", "loss_kd"],
        ["loss_ce", "loss_nckd", "loss_tckd"],
        ["loss_ce", "loss_local", "loss_rntk"],
    ]
