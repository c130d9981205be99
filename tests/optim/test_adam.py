"""lucid.optim.Adam and AdamW against their update rules, written out here in float64."""

import math

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn, optim

STEPS = 5


def adam_reference(
    p,
    grads,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    decoupled=False,
):
    """The parameter after each step: Kingma & Ba's Adam with PyTorch's weight decay
    (L2 in the gradient for Adam, p·(1 − lr·λ) for AdamW) and Reddi et al.'s AMSGrad."""
    b1, b2 = betas
    p = p.astype(np.float64)
    m, v, v_max, out = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1**t)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def gradients(shape, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    # Shrinking gradients, so AMSGrad's running max differs from v.
    return [rng.standard_normal(shape) * 0.5**t for t in range(steps)]


CONFIGS = [
    {},
    {"lr": 0.01, "betas": (0.5, 0.8)},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.05, "amsgrad": True},
]


def _ids(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "defaults"


def run(cls, config, start, grads, dtype=np.float64):
    p = nn.Parameter(start, dtype=dtype)
    view = p.data
    opt = cls([p], **config)
    for g in grads:
        p.grad = _storage.copy_of(g, dtype)
        opt.step()
        yield p, opt
    assert p.data is view  # every step wrote in place


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_adam_steps_follow_the_formula(config):
    start = np.random.default_rng(1).standard_normal((3, 4))
    grads = gradients(start.shape)
    expected = adam_reference(start, grads, **config)
    for (p, _), want in zip(run(optim.Adam, config, start, grads), expected, strict=True):
        np.testing.assert_allclose(p.data, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_adamw_steps_follow_the_formula(config):
    config = {"weight_decay": 1e-2, **config}  # AdamW's default decay
    start = np.random.default_rng(1).standard_normal((3, 4))
    grads = gradients(start.shape)
    expected = adam_reference(start, grads, decoupled=True, **config)
    for (p, _), want in zip(run(optim.AdamW, config, start, grads), expected, strict=True):
        np.testing.assert_allclose(p.data, want, rtol=1e-12, atol=1e-14)


def test_adamw_defaults_to_decay_and_differs_from_adam_with_l2():
    assert optim.AdamW([nn.Parameter(np.ones(1))]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([nn.Parameter(np.ones(1))]).defaults["weight_decay"] == 0
    start = np.random.default_rng(1).standard_normal(6)
    grads = gradients(start.shape)
    config = {"lr": 0.05, "weight_decay": 0.5}
    *_, (adam, _) = run(optim.Adam, config, start, grads)
    *_, (adamw, _) = run(optim.AdamW, config, start, grads)
    assert not np.allclose(adam.data, adamw.data, rtol=1e-3)


def test_one_step_moves_each_weight_by_lr_against_its_gradient_sign():
    # With bias correction the first step is lr·g/(|g| + eps): a check by hand.
    p = nn.Parameter(np.array([1.0, 2.0, 3.0]), dtype=np.float64)
    opt = optim.Adam([p], lr=0.1, eps=0.0)
    p.grad = _storage.copy_of(np.array([0.3, -4.0, 1e-6]), np.float64)
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, 2.1, 2.9], rtol=1e-14)


def test_float32_parameters_keep_float32_state_in_rust_storage():
    start = np.random.default_rng(3).standard_normal((4, 2)).astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients(start.shape)]
    config = {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}
    expected = adam_reference(start, grads, **config)
    steps = run(optim.Adam, config, start, grads, np.float32)
    for (p, opt), want in zip(steps, expected, strict=True):  # noqa: B007 (opt used below)
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, want, rtol=1e-5, atol=1e-6)
    state = opt.state[p]
    assert state["step"] == STEPS and isinstance(state["step"], int)
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert isinstance(state[key], Tensor) and state[key].dtype == np.float32
        assert _storage.is_storage_view(state[key].data)


def test_params_without_a_gradient_are_skipped_and_keep_their_own_step_count():
    a = nn.Parameter(np.zeros(2), dtype=np.float64)
    b = nn.Parameter(np.ones(2), dtype=np.float64)
    opt = optim.Adam([a, b], lr=0.1)
    ga, gb = np.array([1.0, -1.0]), np.array([0.5, 2.0])
    a.grad = _storage.copy_of(ga, np.float64)
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert b not in opt.state or not opt.state[b]
    b.grad = _storage.copy_of(gb, np.float64)
    opt.step()
    assert opt.state[a]["step"] == 2 and opt.state[b]["step"] == 1
    # b's first update is bias-corrected as step 1.
    np.testing.assert_allclose(b.data, adam_reference(np.ones(2), [gb], lr=0.1)[0], rtol=1e-14)
    np.testing.assert_allclose(a.data, adam_reference(np.zeros(2), [ga, ga], lr=0.1)[1])


def test_adam_trains_a_model_and_keeps_its_parameters():
    lucid.random.seed(0)
    model = nn.Linear(3, 1)
    params = list(model.parameters())
    opt = optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.0)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((64, 3)).astype(np.float32))
    y = Tensor(x.data @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.25)
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(a is b for a, b in zip(model.parameters(), params, strict=True))
    assert losses[-1] < 1e-3 * losses[0]


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -1e-3}, ValueError, r"lr must be >= 0.0, got lr=-0.001"),
        ({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\] must be in \[0, 1\), got betas="),
        ({"betas": (0.9, 1.5)}, ValueError, r"betas\[1\] must be in \[0, 1\).*1.5"),
        ({"betas": (-0.1, 0.9)}, ValueError, r"betas\[0\] must be >= 0.0, got betas\[0\]=-0.1"),
        ({"betas": 0.9}, TypeError, r"betas must be a pair of numbers, got betas=0.9"),
        ({"eps": -1e-8}, ValueError, r"eps must be >= 0.0, got eps=-1e-08"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0.0, got weight_decay"),
        ({"amsgrad": "yes"}, TypeError, r"amsgrad must be a bool, got amsgrad='yes'"),
    ],
)
def test_bad_hyperparameters_are_named(cls, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        cls([nn.Parameter(np.ones(2))], **kwargs)


def test_bias_corrections_use_the_step_count():
    # After t steps of a constant gradient g, m̂ = g and v̂ = g² exactly, so every step
    # moves by lr·g/(|g| + eps) — only if both corrections divide by 1 − βᵗ.
    p = nn.Parameter(np.zeros(1), dtype=np.float64)
    opt = optim.Adam([p], lr=0.1, betas=(0.5, 0.6), eps=0.0)
    for t in range(1, 8):
        p.grad = _storage.copy_of(np.array([2.0]), np.float64)
        opt.step()
        assert math.isclose(p.data[0], -0.1 * t, rel_tol=1e-12)
