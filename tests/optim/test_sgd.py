"""lucid.optim.SGD against its update rule, written out here independently in float64."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn, optim

STEPS = 4


def sgd_reference(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """The parameter after each step, from PyTorch's documented algorithm."""
    p, b, out = p.astype(np.float64), None, []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        if momentum != 0:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p)
    return out


def gradients(shape, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.2},
    {"lr": 0.05, "momentum": 0.7, "dampening": 0.1, "weight_decay": 0.05},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True},
]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
def test_each_step_follows_the_formula(config):
    start = np.random.default_rng(1).standard_normal((3, 4))
    p = nn.Parameter(start, dtype=np.float64)
    view = p.data
    opt = optim.SGD([p], **config)
    grads = gradients(start.shape)
    for g, expected in zip(grads, sgd_reference(start, grads, **config), strict=True):
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
        np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-12)
    assert p.data is view  # updated in place


def test_float32_parameters_stay_float32_with_float32_state():
    start = np.random.default_rng(2).standard_normal((5,)).astype(np.float32)
    p = nn.Parameter(start)
    opt = optim.SGD([p], lr=0.05, momentum=0.9, weight_decay=0.01)
    grads = [g.astype(np.float32) for g in gradients(start.shape)]
    expected = sgd_reference(start, grads, lr=0.05, momentum=0.9, weight_decay=0.01)
    for g, want in zip(grads, expected, strict=True):
        p.grad = _storage.copy_of(g, np.float32)
        opt.step()
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, want, rtol=1e-5, atol=1e-6)
    buffer = opt.state[p]["momentum_buffer"]
    assert isinstance(buffer, Tensor) and buffer.dtype == np.float32
    assert _storage.is_storage_view(buffer.data)


def test_the_momentum_buffer_starts_as_the_first_gradient():
    p = nn.Parameter(np.zeros(3), dtype=np.float64)
    opt = optim.SGD([p], lr=1.0, momentum=0.9, dampening=0.5)
    p.grad = _storage.copy_of(np.array([1.0, 2.0, 3.0]), np.float64)
    opt.step()
    # Not (1 - dampening)·g: dampening applies from the second step on.
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(p.data, [-1.0, -2.0, -3.0])
    assert opt.state[p]["momentum_buffer"].data is not p.grad  # a copy, not the gradient
    opt.step()
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].data, [1.4, 2.8, 4.2])


def test_without_momentum_there_is_no_state():
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(2, dtype=np.float32)
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_the_gradient_is_not_modified():
    p = nn.Parameter(np.ones(3), dtype=np.float64)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True)
    grad = _storage.copy_of(np.array([1.0, -2.0, 0.5]), np.float64)
    p.grad = grad
    opt.step()
    opt.step()
    np.testing.assert_array_equal(grad, [1.0, -2.0, 0.5])


def test_sgd_fits_a_line_through_autograd():
    lucid.random.seed(0)
    model = nn.Linear(1, 1)
    weight = model.weight
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    x = Tensor(np.linspace(-1, 1, 32, dtype=np.float32).reshape(-1, 1))
    y = Tensor(2.0 * x.data - 0.5)
    for _ in range(200):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    assert model.weight is weight and weight.is_leaf
    np.testing.assert_allclose(model.weight.data, [[2.0]], atol=1e-4)
    np.testing.assert_allclose(model.bias.data, [-0.5], atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -0.1}, ValueError, r"lr must be >= 0.0, got lr=-0.1"),
        ({"lr": float("nan")}, ValueError, r"lr must be finite, got lr=nan"),
        ({"lr": "0.1"}, TypeError, r"lr must be a number, got lr='0.1'"),
        ({"momentum": -0.5}, ValueError, r"momentum must be >= 0.0, got momentum=-0.5"),
        ({"weight_decay": -1e-4}, ValueError, r"weight_decay must be >= 0.0, got weight_decay="),
        ({"nesterov": True}, ValueError, r"nesterov=True needs momentum > 0.*momentum=0"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            ValueError,
            r"nesterov=True needs .*dampening = 0.*dampening=0.1",
        ),
        ({"nesterov": 1}, TypeError, r"nesterov must be a bool, got nesterov=1"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.SGD([nn.Parameter(np.ones(2))], **kwargs)
    # In a param group too.
    with pytest.raises(error, match=pattern):
        optim.SGD([{"params": [nn.Parameter(np.ones(2))], **kwargs}])
