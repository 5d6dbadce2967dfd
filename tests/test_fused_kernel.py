"""The fused CPU kernel (ldrld_core.fused) against the torch-op path, and what happens without it."""

import os
import subprocess
import sys

import pytest
import torch

from ldrld_core import LDRLDLoss, fused
from ldrld_core import functional as LF

# learning: the kernel build runs by torch's CPU capability, so CI runs these under a second one too
pytestmark = [
    pytest.mark.skipif(not fused.available(), reason="no C compiler: the torch-op path is tested alone"),
    pytest.mark.learning,
]


def _grads(fn, s, t):
    s = s.clone().requires_grad_(True)
    t = t.clone().requires_grad_(True)
    local, rntk = fn(s, t)
    # unequal weights per row, so that a backward that ignores the incoming gradient fails
    gl = torch.linspace(0.5, 1.5, local.numel(), dtype=s.dtype).view_as(local)
    total = (gl * local).sum() + 0.3 * rntk.sum()
    gs, gt = torch.autograd.grad(total, (s, t))
    return [local.detach(), rntk.detach(), gs, gt]


def _close(got, want, tol):
    for a, b in zip(got, want):
        scale = b.abs().max().item()
        assert (a - b).abs().max().item() <= tol * scale + tol * 1e-6, (a, b)


@pytest.mark.parametrize("n,c,d", [(1, 2, 2), (5, 3, 3), (64, 100, 7), (300, 81, 12), (9, 200, 64), (33, 1000, 5)])
@pytest.mark.parametrize("rank_by,adw", [("student", True), ("teacher", False)])
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 2e-5)])
def test_fused_rows_match_torch_ops(n, c, d, rank_by, adw, dtype, tol):
    gen = torch.Generator().manual_seed(n + c + d)
    s = (torch.randn(n, c, generator=gen) * 4).to(dtype)
    t = (torch.randn(n, c, generator=gen) * 4).to(dtype)
    w = LF.cpu_weights(d, adw)
    got = _grads(lambda a, b: fused.FusedLDRLD.apply(a, b, d, 2.0, rank_by == "teacher", w), s, t)
    want = _grads(lambda a, b: LF.torch_ldrld_rows(a, b, d, 2.0, rank_by, adw), s, t)
    _close(got, want, tol)


@pytest.mark.parametrize("use_local,use_rntk", [(True, True), (True, False), (False, True)])
def test_loss_means_in_kernel_match_torch_ops(use_local, use_rntk, monkeypatch):
    gen = torch.Generator().manual_seed(3)
    s = torch.randn(40, 30, generator=gen, dtype=torch.float64)
    t = torch.randn(40, 30, generator=gen, dtype=torch.float64)
    loss = LDRLDLoss(alpha=9.5, beta=1.5, depth=6, ce_weight=0.0, use_local=use_local, use_rntk=use_rntk)

    def run():
        a, b = s.clone().requires_grad_(True), t.clone().requires_grad_(True)
        out = loss(a, b)
        total = sum(out.values())
        return [total.detach(), *torch.autograd.grad(total, (a, b))], sorted(out)

    got, keys = run()
    monkeypatch.setattr(fused, "usable", lambda *args: False)
    want, keys_torch = run()
    assert keys == keys_torch
    _close(got, want, 1e-12)


def test_non_finite_logits_give_the_value_error_on_the_fused_path():
    s = torch.randn(8, 10)
    s[3, 4] = float("nan")
    with pytest.raises(ValueError, match="student_logits must be finite, but 1 of its 80 values"):
        LDRLDLoss()(s, torch.randn(8, 10), torch.zeros(8, dtype=torch.long))
    t = torch.randn(8, 10)
    t[0, 0] = float("inf")
    with pytest.raises(ValueError, match="teacher_logits must be finite"):
        LDRLDLoss()(torch.randn(8, 10), t, torch.zeros(8, dtype=torch.long))


def test_a_bad_row_leaves_the_other_rows_alone():
    gen = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 20, generator=gen), torch.randn(6, 20, generator=gen)
    bad = s.clone()
    bad[2, 5] = float("nan")
    w = LF.cpu_weights(7, True)
    local, rntk = fused.FusedLDRLD.apply(bad, t, 7, 4.0, False, w)
    ref_local, ref_rntk = fused.FusedLDRLD.apply(s, t, 7, 4.0, False, w)
    assert torch.isnan(local[2]) and torch.isnan(rntk[2])
    keep = torch.tensor([0, 1, 3, 4, 5])
    assert torch.equal(local[keep], ref_local[keep]) and torch.equal(rntk[keep], ref_rntk[keep])


def _probe(env, cache):
    code = (
        "import warnings, torch; warnings.simplefilter('always')\n"
        "from ldrld_core import fused, ldrld_terms\n"
        "print('available', fused.available())\n"
        "x = torch.arange(10.).view(2, 5)\n"
        "print('value', round(float(ldrld_terms(x.cos(), x, 3)[0]), 6))\n"
        "import numpy\n"  # a float32 subnormal: flushed to 0 if loading the kernel set flush-to-zero
        "print('subnormals', bool(numpy.float32(1e-38) / numpy.float32(1e3) > 0), "
        "bool((torch.tensor([1e-38]) / 1e3).item() > 0))\n"
    )
    env = {**os.environ, "LDRLD_KERNEL_CACHE": str(cache), **env}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_without_a_compiler_one_warning_and_the_torch_path(tmp_path):
    fine = _probe({}, tmp_path / "good")
    broken = _probe({"CC": "/bin/false"}, tmp_path / "broken")
    off = _probe({"LDRLD_FUSED": "0"}, tmp_path / "off")
    assert "available True" in fine.stdout, fine.stderr
    assert "available False" in broken.stdout, broken.stderr
    assert broken.stderr.count("the fused CPU kernel is unavailable") == 1, broken.stderr
    assert "available False" in off.stdout and "unavailable" not in off.stderr
    values = {p.stdout.splitlines()[-2] for p in (fine, broken, off)}
    assert len(values) == 1, values
    assert not any((tmp_path / "broken").rglob("*.so")) and not any((tmp_path / "broken").rglob(".build-*"))


def test_loading_the_kernel_leaves_the_processs_floating_point_mode_alone(tmp_path):
    """Subnormal numbers survive in numpy and torch after the kernel ran (a library linked with
    -ffast-math would have switched the whole process to flush-to-zero when it loaded)."""
    fresh = _probe({}, tmp_path / "cache")
    assert "available True" in fresh.stdout, fresh.stderr
    assert fresh.stdout.splitlines()[-1] == "subnormals True True", fresh.stdout
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()) == ["ldrld_cpu.so"]


def test_a_teacher_on_another_device_is_not_handed_to_the_kernel():
    s = torch.randn(4, 10)
    assert fused.usable(s, s, 7) and not fused.usable(s, s.to("meta"), 7) and not fused.usable(s.to("meta"), s, 7)


@pytest.mark.parametrize("means", [False, True])
def test_row_chunks_on_threads_equal_one_call(means, monkeypatch):
    gen = torch.Generator().manual_seed(11)
    s = torch.randn(203, 40, generator=gen, dtype=torch.float64) * 3
    t = torch.randn(203, 40, generator=gen, dtype=torch.float64) * 3
    w = LF.cpu_weights(7, True)
    extra = (9.5, 1.0) if means else ()

    def run():
        a, b = s.clone().requires_grad_(True), t.clone().requires_grad_(True)
        local, rntk = fused.FusedLDRLD.apply(a, b, 7, 4.0, False, w, *extra)
        total = (local * torch.linspace(1, 2, local.numel(), dtype=s.dtype).view_as(local)).sum() + rntk.sum()
        return [local.detach(), rntk.detach(), *torch.autograd.grad(total, (a, b))]

    one = run()
    threads = torch.get_num_threads()
    monkeypatch.setattr(fused, "PARALLEL_MIN", 1)
    try:
        torch.set_num_threads(3)
        assert len(fused._chunks(203, 40)) == 3
        split = run()
    finally:
        torch.set_num_threads(threads)
    _close(split, one, 1e-13)
