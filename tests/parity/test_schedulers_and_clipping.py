"""Parity with PyTorch: the schedulers PyTorch has give the same lrs over 100 steps on two
param groups, alone and chained with an optimizer stepping; gradient clipping gives the
same norms and gradients as torch.nn.utils. Skipped where PyTorch is not installed."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid.nn.utils as U  # noqa: E402
import lucid.optim.lr_scheduler as S  # noqa: E402
from lucid import nn, optim  # noqa: E402

TS = torch.optim.lr_scheduler
STEPS = 100
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
START = [np.array([1.0, -2.0, 0.5]), np.array([[0.3, 0.7], [-1.1, 0.2]])]


def metric(t):
    return 1.0 if t % 9 else 0.5 - t / 1000  # plateaus broken by occasional improvements


# (lucid factory, torch factory, optimizer extras)
CASES = {
    "LambdaLR": (
        lambda o: S.LambdaLR(lambda t: 0.97**t, o),
        lambda o: TS.LambdaLR(o, lambda t: 0.97**t),
        {},
    ),
    "StepLR": (lambda o: S.StepLR(o, 7, 0.5), lambda o: TS.StepLR(o, 7, 0.5), {}),
    "MultiStepLR": (
        lambda o: S.MultiStepLR(o, [10, 25, 41], 0.3),
        lambda o: TS.MultiStepLR(o, [10, 25, 41], 0.3),
        {},
    ),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, 0.96), lambda o: TS.ExponentialLR(o, 0.96), {}),
    "CosineAnnealingLR": (
        lambda o: S.CosineAnnealingLR(o, 23, 0.001),
        lambda o: TS.CosineAnnealingLR(o, 23, 0.001),
        {},
    ),
    "ReduceLROnPlateau": (
        lambda o: S.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5, min_lr=1e-3),
        lambda o: TS.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5, min_lr=1e-3),
        {},
    ),
    "CyclicLR triangular2": (
        lambda o: S.CyclicLR(o, [0.01, 0.002], [0.2, 0.05], 5, 8, "triangular2"),
        lambda o: TS.CyclicLR(o, [0.01, 0.002], [0.2, 0.05], 5, 8, "triangular2"),
        {"momentum": 0.9},
    ),
    "CyclicLR exp_range": (
        lambda o: S.CyclicLR(o, 0.01, 0.1, 4, mode="exp_range", gamma=0.99),
        lambda o: TS.CyclicLR(o, 0.01, 0.1, 4, mode="exp_range", gamma=0.99),
        {"momentum": 0.9},
    ),
}


def lucid_run(make, extras, train):
    ps = [nn.Parameter(a.copy()) for a in START]
    opt = optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.03}], **extras)
    scheduler = make(opt)
    out = []
    for t in range(STEPS):
        if train:
            for p in ps:
                p.grad = p.data * 2 + 0.1  # the gradient of a shifted quadratic
            opt.step()
        if isinstance(scheduler, S.ReduceLROnPlateau):
            scheduler.step(metric(t))
        else:
            scheduler.step()
        out.append([(g["lr"], g.get("momentum")) for g in opt.param_groups])
    return out, [p.data.copy() for p in ps]


def torch_run(make, extras, train):
    ps = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in START]
    opt = torch.optim.SGD(
        [{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.03}], **extras
    )
    scheduler = make(opt)
    out = []
    for t in range(STEPS):
        if train:
            for p in ps:
                p.grad = p.detach() * 2 + 0.1
            opt.step()
        if isinstance(scheduler, TS.ReduceLROnPlateau):
            scheduler.step(metric(t))
        else:
            scheduler.step()
        out.append([(g["lr"], g.get("momentum")) for g in opt.param_groups])
    return out, [p.detach().numpy() for p in ps]


# PyTorch warns when a scheduler steps without an optimizer step (the "alone" runs).
@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("train", [False, True], ids=["alone", "chained"])
@pytest.mark.parametrize("name", list(CASES))
def test_schedulers_match_pytorch(name, train):
    make_lucid, make_torch, extras = CASES[name]
    got, got_params = lucid_run(make_lucid, extras, train)
    want, want_params = torch_run(make_torch, extras, train)
    for t, (g, w) in enumerate(zip(got, want, strict=True)):
        for (lr, m), (tlr, tm) in zip(g, w, strict=True):
            assert lr == pytest.approx(tlr, rel=1e-12, abs=1e-15), (t, g, w)
            assert (m is None) == (tm is None) and (m is None or m == pytest.approx(tm))
    for a, b in zip(got_params, want_params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def grads_pair(seed, dtype):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), (2, 3)]]
    ours = [nn.Parameter(np.zeros(a.shape, dtype)) for a in arrays]
    theirs = [
        torch.nn.Parameter(torch.zeros(a.shape, dtype=getattr(torch, a.dtype.name))) for a in arrays
    ]
    for o, t, a in zip(ours, theirs, arrays, strict=True):
        o.grad = a.copy()
        t.grad = torch.from_numpy(a.copy())
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(dtype, norm_type, max_norm):
    ours, theirs = grads_pair(0, dtype)
    total = U.clip_grad_norm_(ours, max_norm, norm_type, eps=1e-6)  # PyTorch's eps
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert total.dtype == dtype and total.item() == pytest.approx(want.item(), rel=rtol)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=rtol, atol=rtol * 1e-3)
    assert U.get_total_norm([o.grad for o in ours], norm_type).item() == pytest.approx(
        torch.nn.utils.get_total_norm([t.grad for t in theirs], norm_type).item(), rel=rtol
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_pytorch(dtype):
    ours, theirs = grads_pair(1, dtype)
    U.clip_grad_value_(ours, 0.6)
    torch.nn.utils.clip_grad_value_(theirs, 0.6)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())
