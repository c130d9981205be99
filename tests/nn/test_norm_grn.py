"""F.global_response_norm, nn.GlobalResponseNorm and F.normalize: values against numpy
references, gradients against finite differences, dtypes and errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid.nn.functional as F
from lucid import Tensor, nn


def ref_grn(x, gamma, beta, eps=1e-6):
    g = np.sqrt((x**2).sum(axis=(2, 3), keepdims=True))
    nx = g / (g.mean(axis=1, keepdims=True) + eps)
    return x + beta + gamma * x * nx


def ref_normalize(x, p=2.0, axis=1, eps=1e-12):
    norm = (np.abs(x) ** p).sum(axis=axis, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, eps)


@pytest.mark.parametrize(
    ("shape", "pshape"),
    [((2, 3, 2, 2), (1, 3, 1, 1)), ((1, 2, 3, 1), (2, 1, 1)), ((2, 2, 1, 2), ())],
)
def test_grn_values_and_gradients(shape, pshape):
    check_op(F.global_response_norm, shape, pshape, pshape, ref=ref_grn, atol=1e-5)


def test_grn_eps_and_a_zero_channel():
    x = np.zeros((1, 2, 2, 2))
    x[0, 0] = [[1.0, 2.0], [3.0, 4.0]]
    gamma, beta = np.full((1, 2, 1, 1), 0.5), np.zeros((1, 2, 1, 1))
    xt = Tensor(x, requires_grad=True)
    y = F.global_response_norm(xt, Tensor(gamma), Tensor(beta), eps=0.25)
    np.testing.assert_allclose(y.data, ref_grn(x, gamma, beta, eps=0.25))
    y.sum().backward()
    assert np.all(np.isfinite(xt.grad))  # G = 0 on channel 1: no 0/0


def test_grn_layer_starts_as_identity_and_trains():
    layer = nn.GlobalResponseNorm(3)
    assert repr(layer) == "GlobalResponseNorm(channels=3, eps=1e-06)"
    assert [n for n, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert layer.gamma.shape == (1, 3, 1, 1) and layer.gamma.dtype == np.float64
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2))
    y = layer(Tensor(x))
    np.testing.assert_allclose(y.data, x)  # gamma = beta = 0: the paper's identity start
    y.sum().backward()
    np.testing.assert_allclose(layer.beta.grad, np.full((1, 3, 1, 1), 8.0))
    assert layer.gamma.grad.shape == (1, 3, 1, 1)


def test_grn_float32():
    x = np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 2, 2, 4)
    p = Tensor(np.ones((1, 2, 1, 1), np.float32))
    y = F.global_response_norm(Tensor(x), p, p)
    assert y.dtype == np.float32
    one = np.ones((1, 2, 1, 1))
    np.testing.assert_allclose(y.data, ref_grn(x.astype(np.float64), one, one), rtol=1e-5)


def test_grn_errors():
    x, p = Tensor(np.ones((2, 3, 2, 2))), Tensor(np.ones((1, 3, 1, 1)))
    with pytest.raises(ValueError, match="4-D"):
        F.global_response_norm(Tensor(np.ones((2, 3, 2))), p, p)
    with pytest.raises(ValueError, match="gamma"):
        F.global_response_norm(x, Tensor(np.ones((1, 2, 1, 1))), p)
    with pytest.raises(ValueError, match="beta"):
        F.global_response_norm(x, p, Tensor(np.ones((2, 2, 3, 2, 2))))
    with pytest.raises(TypeError, match="beta"):
        F.global_response_norm(x, p, 0.5)
    with pytest.raises(ValueError, match="channels"):
        nn.GlobalResponseNorm(0)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 4), {}),
        ((2, 3, 2), {"axis": 2}),
        ((2, 3, 2), {"axis": (1, 2)}),
        ((3, 4), {"ord": 1}),
        ((3, 4), {"ord": 3.5, "axis": 0}),
        ((3, 2), {"eps": 10.0}),  # every norm under eps: x / eps
    ],
)
def test_normalize_values_and_gradients(shape, kwargs):
    check_op(
        lambda x: F.normalize(x, **kwargs),
        shape,
        ref=lambda x: ref_normalize(
            x, kwargs.get("ord", 2.0), kwargs.get("axis", 1), kwargs.get("eps", 1e-12)
        ),
        atol=1e-5,
    )


def test_normalize_unit_norm_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    xt = Tensor(x, requires_grad=True)
    y = F.normalize(xt)
    np.testing.assert_allclose(y.data, [[0.6, 0.8], [0.0, 0.0]])
    y.sum().backward()
    np.testing.assert_allclose(xt.grad[1], [1e12, 1e12])  # d(x/eps)/dx below eps
    f32 = F.normalize(Tensor(x.astype(np.float32)))
    assert f32.dtype == np.float32


def test_normalize_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="ord"):
        F.normalize(x, ord=0)
    with pytest.raises(ValueError, match="ord"):
        F.normalize(x, ord=float("inf"))
    with pytest.raises(ValueError):
        F.normalize(x, axis=2)
    with pytest.raises(TypeError, match="input_"):
        F.normalize([1.0, 2.0])
    with pytest.raises(ValueError, match="eps"):
        F.normalize(x, eps=-1.0)
