"""One loss warm-up for every ``ldrld_core`` loss: ``warmup`` (epochs) multiplies the distillation
terms by ``min(progress / warmup, 1)`` and leaves the cross-entropy alone. The integrations'
own tests check that each task's ``progress`` reaches it (test_cls_engine, test_det_distill,
test_reid_pipeline)."""

import pytest
import torch

from ldrld_core import DistillLossSum, DKDLoss, KDLoss, LDRLDLoss, build_loss


def _data(n=16, c=20, seed=0):
    gen = torch.Generator().manual_seed(seed)
    s = torch.randn(n, c, generator=gen) * 3
    t = torch.randn(n, c, generator=gen) * 3
    y = torch.randint(0, c, (n,), generator=gen)
    return s, t, y


LOSSES = [
    dict(type="LDRLDLoss", alpha=10.5, beta=7.0, warmup=4.0),
    dict(type="LDRLDLoss", alpha=2.0, beta=3.0, non_target="nckd", warmup=4.0),
    dict(type="KDLoss", loss_weight=0.9, ce_weight=0.1, warmup=4.0),
    dict(type="DKDLoss", alpha=1.0, beta=8.0, warmup=4.0),
    dict(
        type="DistillLossSum",
        losses=[dict(type="LDRLDLoss", alpha=1.0, beta=2.0), dict(type="KDLoss", ce_weight=0.0)],
        warmup=4.0,
    ),
]


@pytest.mark.parametrize("cfg", LOSSES, ids=lambda c: c["type"] + ("-nckd" if "non_target" in c else ""))
def test_distillation_terms_ramp_linearly_and_the_cross_entropy_does_not(cfg):
    s, t, y = _data()
    loss = build_loss(cfg)
    done = loss(s, t, y, progress=None)  # no progress: warm-up done
    assert set(done) >= {"loss_ce"} and len(done) >= 2
    for progress, factor in [(0.0, 0.0), (1.0, 0.25), (2.0, 0.5), (3.0, 0.75), (4.0, 1.0), (9.5, 1.0)]:
        got = loss(s, t, y, progress=progress)
        assert set(got) == set(done)
        torch.testing.assert_close(got["loss_ce"], done["loss_ce"], rtol=0, atol=0)
        for name in set(done) - {"loss_ce"}:
            assert done[name] > 0, name
            torch.testing.assert_close(got[name], factor * done[name], rtol=1e-6, atol=0, msg=name)


def test_the_ramp_scales_the_gradient_of_the_distillation_terms_only():
    s, t, y = _data()
    grads = {}
    for progress in (1.0, 4.0):
        logits = s.clone().requires_grad_(True)
        out = LDRLDLoss(alpha=10.5, beta=7.0, ce_weight=0.0, warmup=4.0)(logits, t, y, progress=progress)
        sum(out.values()).backward()
        grads[progress] = logits.grad
    torch.testing.assert_close(grads[1.0] * 4, grads[4.0], rtol=1e-5, atol=1e-7)


def test_defaults_keep_the_earlier_behaviour():
    s, t, y = _data()
    assert LDRLDLoss().warmup == 0 and KDLoss().warmup == 0 and DKDLoss().warmup == 20
    for loss in (LDRLDLoss(), KDLoss()):  # no ramp at any progress
        torch.testing.assert_close(loss(s, t, y, progress=0.0), loss(s, t, y))
    early, late = DKDLoss()(s, t, y, progress=1.0), DKDLoss()(s, t, y, progress=20.0)
    torch.testing.assert_close(early["loss_nckd"] * 20, late["loss_nckd"])


def test_a_sum_ramps_on_top_of_its_members_own_warm_up():
    s, t, y = _data()
    members = [dict(type="LDRLDLoss", alpha=1.0, beta=1.0), dict(type="DKDLoss", ce_weight=0.0, warmup=2.0)]
    ramped = DistillLossSum(members, warmup=4.0)(s, t, y, progress=1.0)
    plain = DistillLossSum(members)(s, t, y, progress=1.0)
    torch.testing.assert_close(ramped["loss_local"], 0.25 * plain["loss_local"])
    torch.testing.assert_close(ramped["loss_nckd"], 0.25 * plain["loss_nckd"])  # DKD's own 0.5 already in plain
    torch.testing.assert_close(ramped["loss_ce"], plain["loss_ce"])


@pytest.mark.parametrize("loss_type", ["LDRLDLoss", "KDLoss", "DKDLoss"])
@pytest.mark.parametrize("warmup", [-1, "soon", float("nan")])
def test_a_bad_warmup_is_refused_by_name(loss_type, warmup):
    with pytest.raises(ValueError, match=r"warmup must be a number >= 0"):
        build_loss(dict(type=loss_type, warmup=warmup))


def test_a_negative_progress_is_refused():
    s, t, y = _data()
    with pytest.raises(ValueError, match=r"progress must be the epochs done so far.*-1\.0"):
        KDLoss(warmup=2.0)(s, t, y, progress=-1.0)
