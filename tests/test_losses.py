"""The loss modules: KD and DKD against the standard forms (tools/reference_forms.py), LDRLDLoss's
switches, per-row weights, sums of losses and the config builder."""

import getpass
import os
import tempfile

import pytest
import torch
import torch.nn.functional as F

from ldrld_core import DistillLossSum, DKDLoss, KDLoss, LDRLDLoss, build_loss, dkd_terms, kd_loss, ldrld_terms

from reference_forms import authors_dkd, standard_kd


def _data(n=24, c=30, seed=0):
    gen = torch.Generator().manual_seed(seed)
    s = torch.randn(n, c, generator=gen, dtype=torch.float64) * 2
    t = torch.randn(n, c, generator=gen, dtype=torch.float64) * 2
    y = torch.randint(0, c, (n,), generator=gen)
    return s, t, y


def _value_and_grads(fn, s, t, teacher_grad=True):
    s, t = s.clone().requires_grad_(True), t.clone().requires_grad_(True if teacher_grad else False)
    value = fn(s, t)
    return [value.detach(), *torch.autograd.grad(value, (s, t) if teacher_grad else (s,))]


SHAPES = [(1, 2, 1.0), (24, 30, 4.0), (64, 100, 4.0), (300, 81, 1.0), (16, 1000, 2.0)]


@pytest.mark.parametrize("n,c,T", SHAPES)
def test_kd_matches_the_standard_form_values_and_gradients(n, c, T):
    s, t, _ = _data(n, c)
    ours = _value_and_grads(lambda a, b: sum(KDLoss(temperature=T, ce_weight=0.0)(a, b).values()), s, t)
    theirs = _value_and_grads(lambda a, b: standard_kd(a, b, T), s, t)
    for got, want in zip(ours, theirs):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-13)
    assert kd_loss(s, t, T).item() == pytest.approx(theirs[0].item(), rel=1e-10)


@pytest.mark.parametrize("n,c,T", SHAPES)
def test_dkd_matches_the_authors_form_values_and_gradients(n, c, T):
    s, t, y = _data(n, c)
    # the authors' form has no teacher gradient (its masked teacher softmax holds zeros under a log):
    # the teacher side is checked by gradcheck below
    ours = _value_and_grads(
        lambda a, b: sum(DKDLoss(alpha=1.0, beta=8.0, temperature=T, warmup=0, ce_weight=0.0)(a, b, y).values()),
        s,
        t,
        teacher_grad=False,
    )
    theirs = _value_and_grads(lambda a, b: authors_dkd(a, b, y, 1.0, 8.0, T), s, t, teacher_grad=False)
    for got, want in zip(ours, theirs):
        torch.testing.assert_close(got, want, rtol=1e-8, atol=1e-12)
    tckd, nckd = dkd_terms(s, t, y, T)
    assert (tckd + 8.0 * nckd).item() == pytest.approx(theirs[0].item(), rel=1e-8)


def test_kd_and_dkd_in_float32_match_the_reference_forms():
    s, t, y = (x.float() if x.is_floating_point() else x for x in _data(64, 100))
    kd = _value_and_grads(lambda a, b: sum(KDLoss(ce_weight=0.0)(a, b).values()), s, t)
    for got, want in zip(kd, _value_and_grads(lambda a, b: standard_kd(a, b, 4.0), s, t)):
        torch.testing.assert_close(got, want, rtol=2e-5, atol=1e-7)
    dkd = _value_and_grads(lambda a, b: sum(DKDLoss(warmup=0, ce_weight=0.0)(a, b, y).values()), s, t, False)
    for got, want in zip(dkd, _value_and_grads(lambda a, b: authors_dkd(a, b, y, 1.0, 8.0, 4.0), s, t, False)):
        torch.testing.assert_close(got, want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("T", [1.0, 3.0])
def test_dkd_gradients_pass_gradcheck_on_both_sides(T):
    s, t, y = _data(9, 7, seed=4)
    s, t = s.requires_grad_(True), t.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: dkd_terms(a, b, y, T, reduction="none"), (s, t))


def test_dkd_matches_textbook_and_warms_up():
    s, t, y = _data()
    loss = DKDLoss(alpha=1.0, beta=8.0, temperature=4.0, warmup=20, ce_weight=0.0)
    full = sum(loss(s, t, y).values())
    assert full.item() == pytest.approx(authors_dkd(s, t, y, 1.0, 8.0, 4.0).item(), rel=1e-8)
    half = sum(loss(s, t, y, progress=10).values())
    assert half.item() == pytest.approx(0.5 * full.item(), rel=1e-12)
    assert sum(loss(s, t, y, progress=35).values()).item() == pytest.approx(full.item(), rel=1e-12)


def test_dkd_large_logits_finite():
    s, t, y = _data()
    s = (s * 5000).clamp(-1e4, 1e4).float().requires_grad_(True)
    tckd, nckd = dkd_terms(s, (t * 5000).clamp(-1e4, 1e4).float(), y, temperature=1.0)
    (tckd + nckd).backward()
    assert torch.isfinite(tckd) and torch.isfinite(nckd) and torch.isfinite(s.grad).all()


def test_ldrld_loss_combines_terms_with_weights():
    s, t, y = _data()
    loss = LDRLDLoss(alpha=9.5, beta=1.0, depth=7, temperature=4.0, ce_weight=1.0)
    out = loss(s, t, y)
    local, rntk = ldrld_terms(s, t, 7, 4.0)
    assert set(out) == {"loss_ce", "loss_local", "loss_rntk"}
    assert out["loss_local"].item() == pytest.approx(9.5 * local.item(), rel=1e-12)
    assert out["loss_rntk"].item() == pytest.approx(1.0 * rntk.item(), rel=1e-12)
    assert out["loss_ce"].item() == pytest.approx(F.cross_entropy(s, y).item(), rel=1e-6)
    assert set(loss(s, t)) == {"loss_local", "loss_rntk"}  # no target: no CE
    assert set(LDRLDLoss(ce_weight=0)(s, t, y)) == {"loss_local", "loss_rntk"}


def test_ablation_switches():
    s, t, y = _data()
    assert set(LDRLDLoss(use_rntk=False)(s, t, y)) == {"loss_ce", "loss_local"}
    assert set(LDRLDLoss(use_local=False)(s, t, y)) == {"loss_ce", "loss_rntk"}
    with_adw = LDRLDLoss(adw=True)(s, t)["loss_local"]
    without = LDRLDLoss(adw=False)(s, t)["loss_local"]
    assert without.item() == pytest.approx(ldrld_terms(s, t, 7, adw=False)[0].item(), rel=1e-12)
    assert with_adw.item() != pytest.approx(without.item(), rel=1e-3)
    nckd = LDRLDLoss(beta=2.0, non_target="nckd")(s, t, y)
    assert set(nckd) == {"loss_ce", "loss_local", "loss_nckd"}
    assert nckd["loss_nckd"].item() == pytest.approx(2.0 * dkd_terms(s, t, y, 4.0)[1].item(), rel=1e-12)
    with pytest.raises(ValueError, match="needs `target`"):
        LDRLDLoss(non_target="nckd")(s, t)


def test_per_row_weight_and_ignore_mask():
    s, t, y = _data()
    keep = torch.zeros(len(s), dtype=torch.bool)
    keep[:10] = True
    loss = LDRLDLoss(alpha=1.0, beta=1.0, ce_weight=1.0)
    masked = loss(s, t, y, weight=keep)
    subset = loss(s[:10], t[:10], y[:10])
    for k in subset:
        assert masked[k].item() == pytest.approx(subset[k].item(), rel=1e-10)
    w = torch.rand(len(s), dtype=torch.float64)
    local_rows, _ = ldrld_terms(s, t, 7, reduction="none")
    weighted = loss(s, t, weight=w)["loss_local"]
    assert weighted.item() == pytest.approx(((local_rows * w).sum() / w.sum()).item(), rel=1e-10)
    with pytest.raises(ValueError, match="weight"):
        loss(s, t, weight=torch.ones(3))


def test_sum_of_losses_for_table_20():
    s, t, y = _data()
    combo = build_loss(
        dict(
            type="DistillLossSum",
            losses=[dict(type="LDRLDLoss", alpha=8.0, beta=8.0), dict(type="DKDLoss", ce_weight=0.0, warmup=0)],
        )
    )
    out = combo(s, t, y)
    assert set(out) == {"loss_ce", "loss_local", "loss_rntk", "loss_tckd", "loss_nckd"}
    with pytest.raises(ValueError, match="counted 2 times"):
        DistillLossSum([LDRLDLoss(), KDLoss()])


def test_losses_are_differentiable_in_student_only_use():
    s, t, y = _data()
    s = s.float().requires_grad_(True)
    for loss in (LDRLDLoss(9.5, 1.0), KDLoss(), DKDLoss()):
        s.grad = None
        sum(loss(s, t.float(), y, progress=5).values()).backward()
        assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "cfg,message",
    [
        (dict(type="Nope"), "unknown distillation loss type 'Nope'"),
        (dict(alpha=1.0), "'type' key"),
        (dict(type="LDRLDLoss", gamma=3), "bad arguments for LDRLDLoss"),
        (dict(type="LDRLDLoss", alpha=-1), "alpha must be a number >= 0"),
        (dict(type="LDRLDLoss", depth=1), "depth"),
        (dict(type="LDRLDLoss", temperature=0), "temperature"),
        (dict(type="LDRLDLoss", rank_by="x"), "rank_by"),
        (dict(type="LDRLDLoss", non_target="all"), "non_target"),
    ],
)
def test_bad_configs(cfg, message):
    with pytest.raises(ValueError, match=message):
        build_loss(cfg)


def test_depth_larger_than_classes_at_call():
    with pytest.raises(ValueError, match="depth"):
        LDRLDLoss(depth=9)(torch.randn(2, 5), torch.randn(2, 5))


def test_bad_target():
    s, t, y = _data()
    with pytest.raises(ValueError, match="class indices in"):
        DKDLoss()(s, t, y + 100)
    with pytest.raises(ValueError, match="target must be a 1-D"):
        DKDLoss()(s, t, y[:3])
    ignored = y.clone()
    ignored[0] = -100  # cross-entropy's ignore_index: torch would skip the row without a word
    for loss in (LDRLDLoss(), KDLoss(), DKDLoss()):
        with pytest.raises(ValueError, match=r"class indices in .*got values in \[-100,"):
            loss(s, t, ignored)


def test_class_correlation_and_gap():
    import numpy as np

    from ldrld_core.correlation import class_correlation, correlation_gap

    gen = torch.Generator().manual_seed(1)
    x = torch.randn(200, 6, generator=gen, dtype=torch.float64)
    x[:, 5] = 3.0  # a constant column correlates with nothing
    corr = class_correlation(x)
    expected = np.corrcoef(x[:, :5].numpy(), rowvar=False)
    assert np.allclose(corr[:5, :5].numpy(), expected, atol=1e-12)
    assert corr[5].abs().sum() == 0
    gap, mean = correlation_gap(x, x.clone())
    assert mean == 0.0 and gap.shape == (6, 6)
    _, far = correlation_gap(x, torch.randn(200, 6, generator=gen, dtype=torch.float64))
    assert far > 0.05
    with pytest.raises(ValueError, match="same shape"):
        correlation_gap(x, x[:, :3])
    with pytest.raises(ValueError, match="N >= 2"):
        class_correlation(x[:1])


@pytest.mark.learning
def test_compiled_loss_matches_eager(monkeypatch):
    """``compile=True`` really goes through ``torch.compile`` (a spy that calls the real one), the
    compiled graph runs (dynamo's counters; no eager fallback warning) and its values and gradients
    are those of the eager loss."""
    import warnings

    from torch._dynamo.utils import counters

    compiled_fns = []
    real_compile = torch.compile

    def spy(fn, *args, **kwargs):
        compiled_fns.append(fn)
        return real_compile(fn, *args, **kwargs)

    monkeypatch.setattr(torch, "compile", spy)
    # inductor's on-disk caches are not keyed by ATEN_CPU_CAPABILITY: kernels and precompiled headers built
    # under one capability, reused under another, fail to build or compute garbage (seen with torch 2.14)
    capability = os.environ.get("ATEN_CPU_CAPABILITY") or "auto"
    cache = os.path.join(tempfile.gettempdir(), f"torchinductor_ldrld_{getpass.getuser()}", capability)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", cache)
    torch._dynamo.reset()
    counters.clear()
    s, t, y = _data(n=16, c=20)
    s, t = s.float(), t.float()
    eager = LDRLDLoss(alpha=2.0, beta=3.0)
    fast = LDRLDLoss(alpha=2.0, beta=3.0, compile=True)
    s1, s2 = s.clone().requires_grad_(True), s.clone().requires_grad_(True)
    a = eager(s1, t, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)  # compiled.py warns when it falls back to eager
        b = fast(s2, t, y)
        sum(b.values()).backward()
    assert [fn.__name__ for fn in compiled_fns] == ["ranked_rows"]
    for k in a:
        assert b[k].item() == pytest.approx(a[k].item(), rel=1e-5)
    sum(a.values()).backward()
    torch.testing.assert_close(s2.grad, s1.grad, rtol=1e-5, atol=1e-7)
    fallback = [str(w.message) for w in caught if "torch.compile" in str(w.message)]
    assert not fallback, fallback
    assert counters["stats"]["unique_graphs"] >= 1


def test_a_first_call_in_inference_mode_does_not_break_training():
    """The loss caches its rank pairs; made by a first call under ``torch.inference_mode`` (an
    evaluation before training), they must still serve a training step's backward."""
    from ldrld_core import ldrld

    ldrld._pairs.cache_clear()  # cold, whatever ran before in this process
    loss = LDRLDLoss(depth=5)
    s, t = torch.randn(8, 21), torch.randn(8, 21)
    with torch.inference_mode():
        loss(s, t)
    s = s.clone().requires_grad_(True)
    sum(loss(s, t).values()).backward()
    assert s.grad is not None and torch.isfinite(s.grad).all()
