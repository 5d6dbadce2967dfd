"""ldrld_terms against the literal per-combination form, by hand, and its invariances."""

import math
import random

import pytest
import torch

from ldrld_core import LDRLDLoss, ldrld_terms
from ldrld_core import ldrld as LF

from reference_forms import autograd_ldrld, literal_ldrld

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _random_cases(count, seed=1234):
    rng = random.Random(seed)
    cases = [(1, 3, 2, 1.0), (512, 1000, 12, 4.0), (7, 12, 12, 2.0), (64, 100, 7, 4.0)]
    while len(cases) < count:
        n = rng.choice([1, 2, rng.randint(3, 64), rng.randint(65, 512)])
        c = rng.choice([3, rng.randint(4, 120), rng.randint(121, 1000)])
        d = rng.randint(2, min(c, 12))
        cases.append((n, c, d, rng.choice([1.0, 2.0, 4.0])))
    return cases


def _close(actual, expected, rel=1e-6, floor=1e-15):
    # floor: a term that is exactly zero in the literal form (one class left outside the top d)
    # comes out as float64 rounding, ~1e-17
    scale = expected.abs().max().item()
    err = (actual - expected).abs().max().item()
    assert err <= rel * scale + floor, f"max abs error {err:.3e} vs scale {scale:.3e}"


def _values_and_grads(fn, s, t):
    s = s.clone().requires_grad_(True)
    t = t.clone().requires_grad_(True)
    local, rntk = fn(s, t)
    gs_l, gt_l = torch.autograd.grad(local, (s, t), retain_graph=True)
    gs_r, gt_r = torch.autograd.grad(rntk, (s, t), allow_unused=True)
    zeros = torch.zeros_like(s)
    return [
        local.detach(),
        rntk.detach(),
        gs_l,
        gt_l,
        gs_r if gs_r is not None else zeros,
        gt_r if gt_r is not None else zeros,
    ]


@pytest.mark.parametrize("case", _random_cases(24))
def test_matches_literal_float64(case):
    n, c, d, T = case
    gen = torch.Generator().manual_seed(n * 7919 + c * 31 + d)
    s = torch.randn(n, c, generator=gen, dtype=torch.float64) * 3
    t = torch.randn(n, c, generator=gen, dtype=torch.float64) * 3
    fast = _values_and_grads(lambda a, b: ldrld_terms(a, b, depth=d, temperature=T), s, t)
    slow = _values_and_grads(lambda a, b: literal_ldrld(a, b, d, T), s, t)
    for got, want in zip(fast, slow):
        _close(got, want)
    assert fast[0].item() > 0


@pytest.mark.parametrize("rank_by,adw", [("teacher", True), ("student", False), ("teacher", False)])
def test_options_match_literal(rank_by, adw):
    gen = torch.Generator().manual_seed(5)
    s = torch.randn(33, 50, generator=gen, dtype=torch.float64)
    t = torch.randn(33, 50, generator=gen, dtype=torch.float64)
    fast = _values_and_grads(lambda a, b: ldrld_terms(a, b, 6, 2.0, rank_by=rank_by, adw=adw), s, t)
    slow = _values_and_grads(lambda a, b: literal_ldrld(a, b, 6, 2.0, rank_by=rank_by, adw=adw), s, t)
    for got, want in zip(fast, slow):
        _close(got, want)


def _tied(kind, n=64, c=120, seed=0):
    """Student logits with exact ties inside every row's top classes: small integers, or
    bfloat16-rounded values (8 bits of mantissa: at this spread many values coincide)."""
    gen = torch.Generator().manual_seed(seed)
    if kind == "integers":
        s = torch.randint(-4, 5, (n, c), generator=gen).double()
    else:
        s = (torch.randn(n, c, generator=gen) * 3).bfloat16()
    t = (torch.randn(n, c, generator=gen) * 3).to(s.dtype)
    return s, t


def _ties_in_top(s, depth):
    """Rows where the (depth+1) largest values hold a repeated value (the ranking there is a tie-break)."""
    top = s.float().sort(dim=1, descending=True).values[:, : depth + 1]
    return int((top[:, 1:] == top[:, :-1]).any(1).sum())


@pytest.mark.parametrize("device", DEVICES)
def test_top_classes_break_ties_by_the_earlier_column(device):
    row = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0, 3.0]], device=device)
    assert LF.top_classes(row, 3).tolist() == [[1, 2, 4]]
    s, _ = _tied("integers", n=256, c=81)
    s = s.to(device)
    expected = [sorted(range(81), key=lambda k: (-v[k], k))[:7] for v in s.tolist()]
    assert LF.top_classes(s, 7).tolist() == expected
    assert LF.top_classes(s.bfloat16(), 7).tolist() == expected  # integers are exact in bfloat16


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("rank_by", ["student", "teacher"])
@pytest.mark.parametrize("kind", ["integers", "bfloat16"])
def test_tied_logits_match_the_reference_that_ranks_the_earlier_column_first(kind, rank_by, device):
    s, t = _tied(kind)
    if rank_by == "teacher":
        s, t = t, s  # the ties in the ranking model's logits
    assert _ties_in_top(s if rank_by == "student" else t, 7) > 10
    s, t = s.to(device), t.to(device)
    ref_s, ref_t = s.double(), t.double()  # bfloat16 values are exact in float64
    want = _values_and_grads(lambda a, b: literal_ldrld(a, b, 7, 4.0, rank_by=rank_by), ref_s, ref_t)
    # the rows the losses run on every device: LDRLDLoss, ldrld_terms and the per-row torch ops
    for got in (
        _values_and_grads(lambda a, b: ldrld_terms(a, b, 7, 4.0, rank_by=rank_by), ref_s, ref_t),
        _values_and_grads(lambda a, b: tuple(r.mean() for r in LF.ldrld_rows(a, b, 7, 4.0, rank_by)), ref_s, ref_t),
    ):
        for g, w in zip(got, want):
            _close(g, w)
    loss = LDRLDLoss(depth=7, temperature=4.0, ce_weight=0.0, rank_by=rank_by)
    out = loss(s, t)  # bfloat16 in, float32 inside
    local, rntk = literal_ldrld(s.float(), t.float(), 7, 4.0, rank_by=rank_by)
    assert out["loss_local"].item() == pytest.approx(local.item(), rel=1e-5)
    assert out["loss_rntk"].item() == pytest.approx(rntk.item(), rel=1e-5)


def test_autograd_reference_form_matches_the_literal_one():
    gen = torch.Generator().manual_seed(11)
    s = torch.randn(20, 30, generator=gen, dtype=torch.float64) * 3
    t = torch.randn(20, 30, generator=gen, dtype=torch.float64) * 3
    for got, want in zip(
        _values_and_grads(lambda a, b: autograd_ldrld(a, b, 6, 2.0), s, t),
        _values_and_grads(lambda a, b: literal_ldrld(a, b, 6, 2.0), s, t),
    ):
        _close(got, want)


def test_rank_by_changes_the_result():
    gen = torch.Generator().manual_seed(3)
    s, t = torch.randn(2, 16, 20, generator=gen, dtype=torch.float64)
    a = ldrld_terms(s, t, 4, rank_by="student")
    b = ldrld_terms(s, t, 4, rank_by="teacher")
    assert abs(a[0].item() - b[0].item()) > 1e-6


def _bernoulli_kl(p, q):
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_hand_computed_three_classes_depth_two():
    # Student ranks class 0 first and class 1 second; T = 2.
    s = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64)
    T = 2.0
    kl = _bernoulli_kl(_sigmoid((1.0 - 2.0) / T), _sigmoid((2.0 - 1.0) / T))
    w = 2.0 / (1.5 + 1) * math.exp(-0.05 * (1 + 2))
    # one pair plus the all-d term (the same two classes), over 1 + 1 terms
    expected_local = T * T * (w * kl + kl) / 2
    local, rntk = ldrld_terms(s, t, depth=2, temperature=T)
    assert local.item() == pytest.approx(expected_local, rel=1e-12)
    assert rntk.item() == pytest.approx(0.0, abs=1e-15)  # a single remaining class carries no information


def test_hand_computed_rntk_four_classes():
    s = torch.tensor([[3.0, 1.0, 0.0, -1.0]], dtype=torch.float64)
    t = torch.tensor([[1.0, 2.0, 0.5, -1.0]], dtype=torch.float64)
    # top-2 of the student: classes 0 and 1; the remaining ones are 2 and 3.
    expected_rntk = _bernoulli_kl(_sigmoid(0.5 - (-1.0)), _sigmoid(0.0 - (-1.0)))
    _, rntk = ldrld_terms(s, t, depth=2, temperature=1.0)
    assert rntk.item() == pytest.approx(expected_rntk, rel=1e-12)


def test_teacher_equal_to_student_gives_zero():
    x = torch.randn(16, 30, dtype=torch.float64)
    local, rntk = ldrld_terms(x, x.clone(), depth=7)
    assert abs(local.item()) < 1e-12 and abs(rntk.item()) < 1e-12


def test_per_row_constant_changes_nothing():
    gen = torch.Generator().manual_seed(11)
    s, t = torch.randn(2, 20, 40, generator=gen, dtype=torch.float64)
    shift_s = torch.randn(20, 1, generator=gen, dtype=torch.float64) * 50
    shift_t = torch.randn(20, 1, generator=gen, dtype=torch.float64) * 50
    a = ldrld_terms(s, t, 7, 4.0)
    b = ldrld_terms(s + shift_s, t + shift_t, 7, 4.0)
    for x, y in zip(a, b):
        assert x.item() == pytest.approx(y.item(), rel=1e-9)


def test_depth_equal_to_classes_has_zero_rntk_and_gradient():
    s = torch.randn(5, 6, requires_grad=True)
    local, rntk = ldrld_terms(s, torch.randn(5, 6), depth=6)
    assert rntk.item() == 0.0
    (local + rntk).backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0


def test_reduction_none_gives_rows():
    s, t = torch.randn(2, 9, 20)
    local, rntk = ldrld_terms(s, t, 5, reduction="none")
    assert local.shape == (9,) and rntk.shape == (9,)
    mean = ldrld_terms(s, t, 5)
    assert local.mean().item() == pytest.approx(mean[0].item(), rel=1e-6)


@pytest.mark.parametrize("scale", [1e2, 1e4])
@pytest.mark.parametrize("T", [0.5, 4.0])
def test_large_logits_stay_finite(scale, T):
    gen = torch.Generator().manual_seed(2)
    s = (torch.randn(32, 100, generator=gen) * scale).clamp(-1e4, 1e4).requires_grad_(True)
    t = (torch.randn(32, 100, generator=gen) * scale).clamp(-1e4, 1e4)
    local, rntk = ldrld_terms(s, t, 7, T)
    assert torch.isfinite(local) and torch.isfinite(rntk)
    (local + rntk).backward()
    assert torch.isfinite(s.grad).all()


@pytest.mark.learning
def test_bf16_autocast_is_finite_and_float32():
    lin = torch.nn.Linear(16, 50)
    x = torch.randn(64, 16)
    t = torch.randn(64, 50) * 5
    with torch.autocast("cpu", dtype=torch.bfloat16):
        s = lin(x)
        assert s.dtype == torch.bfloat16
        local, rntk = ldrld_terms(s, t.bfloat16(), 7, 4.0)
    assert local.dtype == torch.float32 and rntk.dtype == torch.float32
    assert torch.isfinite(local) and torch.isfinite(rntk)
    (local + rntk).backward()
    assert torch.isfinite(lin.weight.grad).all()
    reference = ldrld_terms(s.float().detach(), t.bfloat16().float(), 7, 4.0)
    assert local.item() == pytest.approx(reference[0].item(), rel=1e-5)


@pytest.mark.learning
def test_backward_inside_an_autocast_region_runs_in_full_precision():
    """bf16 training that calls backward() inside the autocast region (the classification fast path on a
    CPU) back-propagates through the loss in float32, as the forward ran; the gradients are those outside."""
    lin = torch.nn.Linear(16, 50)
    x, t = torch.randn(64, 16), torch.randn(64, 50) * 5
    grads = []
    for inside in (True, False):
        lin.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            local, rntk = ldrld_terms(lin(x), t.bfloat16(), 7, 4.0)
            if inside:
                (local + rntk).backward()
        if not inside:
            (local + rntk).backward()
        grads.append(lin.weight.grad.clone())
    assert torch.isfinite(grads[0]).all()
    torch.testing.assert_close(grads[0], grads[1])


BAD_CALLS = [
    (dict(s=(4, 10), t=(4, 11)), "same shape"),
    (dict(s=(4, 10, 2), t=(4, 10, 2)), "2-D"),
    (dict(s=(10,), t=(10,)), "2-D"),
    (dict(depth=1), "depth"),
    (dict(depth=11), "depth"),
    (dict(depth=2.5), "depth"),
    (dict(temperature=0.0), "temperature"),
    (dict(temperature=-1.0), "temperature"),
    (dict(rank_by="both"), "rank_by"),
    (dict(nan=True), "student_logits must be finite"),
    (dict(inf_teacher=True), "teacher_logits must be finite"),
    (dict(teacher_on="meta"), "must be on one device, got cpu and meta"),
]


@pytest.mark.parametrize("bad,message", BAD_CALLS)
def test_bad_inputs_raise_value_error(bad, message):
    s = torch.randn(*bad.get("s", (4, 10)))
    t = torch.randn(*bad.get("t", (4, 10)))
    if bad.get("nan"):
        s[1, 2] = float("nan")
    if bad.get("inf_teacher"):
        t[0, 0] = float("inf")
    if bad.get("teacher_on"):
        t = t.to(bad["teacher_on"])
    kwargs = {k: bad[k] for k in ("depth", "temperature", "rank_by") if k in bad}
    with pytest.raises(ValueError, match=message):
        ldrld_terms(s, t, **kwargs)
