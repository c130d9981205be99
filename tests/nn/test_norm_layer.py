"""F.layer_norm and nn.LayerNorm: values against a numpy reference, gradients against
finite differences, dtypes, parameters, reprs and errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn


def ref_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


@pytest.mark.parametrize(("shape", "k"), [((3, 4), 1), ((2, 3, 4), 2), ((5,), 1), ((2, 2, 3), 3)])
def test_values_and_gradients(shape, k):
    ns = shape[len(shape) - k :]
    check_op(
        lambda x, w, b: F.layer_norm(x, ns, w, b),
        shape,
        ns,
        ns,
        ref=lambda x, w, b: ref_layer_norm(x, k, w, b),
        atol=1e-5,
    )


def test_without_affine_and_int_shape():
    check_op(lambda x: F.layer_norm(x, 4), (3, 4), ref=lambda x: ref_layer_norm(x, 1))


def test_eps_is_used():
    x = np.array([[1.0, 1.0, 1.0 + 1e-3]])
    y = F.layer_norm(Tensor(x), (3,), eps=0.5)
    np.testing.assert_allclose(y.data, ref_layer_norm(x, 1, eps=0.5))


def test_constant_row_gives_zeros_and_finite_gradient():
    x = Tensor(np.full((2, 3), 7.0), requires_grad=True)
    y = F.layer_norm(x, 3)
    np.testing.assert_array_equal(y.data, np.zeros((2, 3)))
    (y * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_dtypes():
    x = np.linspace(-2, 3, 8, dtype=np.float32).reshape(2, 4)
    y = F.layer_norm(Tensor(x), 4)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, ref_layer_norm(x.astype(np.float64), 1), rtol=1e-5)
    assert F.layer_norm(Tensor(x), 4, Tensor(np.ones(4))).dtype == np.float64


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((Tensor(np.ones((2, 3))), 4), ValueError, "trailing dimensions"),
        ((Tensor(np.ones((2, 3))), (2, 3, 1)), ValueError, "trailing dimensions"),
        ((Tensor(np.ones((2, 3))), "3"), TypeError, "normalized_shape"),
        ((Tensor(np.ones((2, 3))), ()), TypeError, "normalized_shape"),
        ((Tensor(np.ones((2, 3))), (0,)), ValueError, "normalized_shape"),
        ((Tensor(np.ones((2, 3))), 3, Tensor(np.ones(2))), ValueError, "weight"),
        ((np.ones((2, 3)), 3), TypeError, "input_"),
        ((Tensor(np.ones((2, 3))), 3, None, None, float("nan")), ValueError, "eps"),
    ],
)
def test_errors(args, error, match):
    with pytest.raises(error, match=match):
        F.layer_norm(*args)


def test_layer_values_and_gradients():
    layer = nn.LayerNorm((2, 3))
    with lucid.no_grad():
        layer.weight.data[...] = np.arange(6.0).reshape(2, 3)
        layer.bias.data[...] = -1.0
    x = np.random.default_rng(3).standard_normal((4, 2, 3))
    xt = Tensor(x, requires_grad=True)
    y = layer(xt)
    np.testing.assert_allclose(
        y.data, ref_layer_norm(x, 2, layer.weight.data, layer.bias.data), atol=1e-12
    )
    y.sum().backward()
    np.testing.assert_allclose(layer.bias.grad, np.full((2, 3), 4.0))
    np.testing.assert_allclose(layer.weight.grad, ref_layer_norm(x, 2).sum(0), atol=1e-12)


def test_layer_parameters_and_repr():
    layer = nn.LayerNorm(3)
    assert layer.normalized_shape == (3,)
    assert repr(layer) == "LayerNorm(normalized_shape=(3,), eps=1e-05, elementwise_affine=True)"
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))
    assert layer.weight.dtype == np.float64 and list(layer.buffers()) == []


def test_layer_without_bias_or_affine():
    layer = nn.LayerNorm([2, 3], bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    assert layer.weight.shape == (2, 3)
    layer = nn.LayerNorm(4, eps=1e-3, elementwise_affine=False)
    assert layer.weight is None and layer.bias is None and list(layer.state_dict()) == []
    assert repr(layer) == "LayerNorm(normalized_shape=(4,), eps=0.001, elementwise_affine=False)"
    x = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(layer(Tensor(x)).data, ref_layer_norm(x, 1, eps=1e-3))


def test_layer_default_float32():
    lucid.set_default_dtype(lucid.Float32)
    try:
        layer = nn.LayerNorm(3)
    finally:
        lucid.set_default_dtype(lucid.Float64)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer(Tensor(np.ones((2, 3), np.float32))).dtype == np.float32


def test_layer_errors():
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(3.0)
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(-1)
    with pytest.raises(ValueError, match="trailing dimensions"):
        nn.LayerNorm(3)(Tensor(np.ones((3, 2))))
