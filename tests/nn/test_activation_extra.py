"""relu6, hardsigmoid, hardswish, silu/swish and mish and their layers (nn.ReLU6,
nn.HardSigmoid, nn.HardSwish, nn.Swish, nn.Mish): values and gradients against numpy
references, PyTorch's slopes at the kinks, extreme inputs, dtypes, errors and reprs."""

import numpy as np
import pytest
from helpers import check_op

import lucid.nn.functional as F
from lucid import Tensor, nn


def ref_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def ref_sigmoid(x):
    return 1 / (1 + np.exp(-x))


REFS = {
    "relu6": (F.relu6, nn.ReLU6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "hardsigmoid": (F.hardsigmoid, nn.HardSigmoid, lambda x: np.clip((x + 3) / 6, 0, 1)),
    "hardswish": (F.hardswish, nn.HardSwish, lambda x: x * np.clip((x + 3) / 6, 0, 1)),
    "silu": (F.silu, nn.Swish, lambda x: x * ref_sigmoid(x)),
    "swish": (F.swish, nn.Swish, lambda x: x * ref_sigmoid(x)),
    "mish": (F.mish, nn.Mish, lambda x: x * np.tanh(ref_softplus(x))),
}

# Away from the kinks (0 and 6; ±3), where finite differences see one side only.
SMOOTH = np.array([-7.3, -4.1, -2.7, -1.2, -0.4, 0.3, 1.9, 2.8, 4.4, 5.6, 6.9, 9.2])


@pytest.mark.parametrize("name", REFS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_values_and_gradients_against_numpy(name, shape):
    fn, _, ref = REFS[name]
    check_op(fn, shape, ref=ref, low=-8.0, high=8.0, seed=len(shape))


@pytest.mark.parametrize("name", REFS)
def test_values_and_gradients_across_every_piece(name):
    fn, _, ref = REFS[name]
    check_op(fn, SMOOTH.reshape(3, 4), ref=ref)


@pytest.mark.parametrize("name", REFS)
def test_layer_equals_function_and_has_a_bare_repr(name):
    fn, layer_cls, _ = REFS[name]
    layer = layer_cls()
    x = Tensor(SMOOTH)
    np.testing.assert_array_equal(layer(x).data, fn(x).data)
    assert repr(layer) == f"{layer_cls.__name__}()"
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


@pytest.mark.parametrize(
    ("fn", "points", "slopes"),
    [
        (F.relu6, [0.0, 6.0, -1e-9, 1e-9, 6 - 1e-9], [0.0, 0.0, 0.0, 1.0, 1.0]),
        (F.hardsigmoid, [-3.0, 3.0, -2.999], [0.0, 0.0, 1 / 6]),
        (F.hardswish, [-3.0, 3.0, -3.001, 3.001, 2.999], [0.0, 1.0, 0.0, 1.0, 2.999 / 3 + 0.5]),
    ],
)
def test_slopes_at_the_kinks_are_pytorchs(fn, points, slopes):
    x = Tensor(np.array(points), requires_grad=True)
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad, slopes, rtol=1e-12, atol=1e-12)


def test_exact_values_at_the_corners():
    x = Tensor(np.array([-3.0, 0.0, 3.0, 6.0, 7.0]))
    np.testing.assert_array_equal(F.relu6(x).data, [0, 0, 3, 6, 6])
    np.testing.assert_array_equal(F.hardsigmoid(x).data, [0, 0.5, 1, 1, 1])
    np.testing.assert_array_equal(F.hardswish(x).data, [0, 0, 3, 6, 7])


@pytest.mark.parametrize("fn", [F.silu, F.mish])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite_without_warnings(fn, dtype, strict_numpy):
    big = np.finfo(dtype).max / 4
    x = Tensor(np.array([-big, -1000.0, -80.0, 80.0, 1000.0, big], dtype=dtype), requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert y.dtype == dtype and np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    # Far out, both are x on the right and -0 (a vanishing negative) on the left.
    np.testing.assert_array_equal(y.data[3:], x.data[3:])
    assert np.all(y.data[:2] == 0) and np.all(x.grad[:2] == 0)
    np.testing.assert_allclose(x.grad[3:], 1.0)


def test_mish_and_silu_are_accurate_for_tiny_and_moderate_inputs():
    x = np.array([-30.0, -5.0, -1e-8, 1e-8, 0.5])
    # mish(x) = x·tanh(softplus(x)) with tanh(log1p(e^x)) = ((1+e^x)^2 - 1)/((1+e^x)^2 + 1)
    e = np.exp(x)
    mish = x * (e * (2 + e)) / (e * (2 + e) + 2)
    np.testing.assert_allclose(F.mish(Tensor(x)).data, mish, rtol=1e-13)
    np.testing.assert_allclose(F.silu(Tensor(x)).data, x / (1 + np.exp(-x)), rtol=1e-14)


@pytest.mark.parametrize("name", REFS)
def test_float32_stays_float32_and_matches_float64(name):
    fn, _, _ = REFS[name]
    x64 = np.linspace(-8, 8, 33)
    t = Tensor(x64.astype(np.float32), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    assert y.dtype == np.float32 and t.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, fn(Tensor(x64)).data, rtol=1e-6, atol=1e-6)


def test_nan_propagates():
    x = Tensor(np.array([np.nan]))
    for fn, _, _ in REFS.values():
        assert np.isnan(fn(x).data[0])


def test_no_graph_without_requires_grad_and_output_is_new_storage():
    x = Tensor(SMOOTH)
    for fn, _, _ in REFS.values():
        y = fn(x)
        assert not y.requires_grad
        assert not np.shares_memory(y.data, x.data)


@pytest.mark.parametrize("fn", [F.relu6, F.hardsigmoid, F.hardswish, F.silu, F.swish, F.mish])
def test_bad_inputs_are_type_errors_naming_the_function(fn):
    with pytest.raises(TypeError, match=f"{fn.__name__}: input_ must be a lucid Tensor"):
        fn(np.ones(3))
    with pytest.raises(TypeError, match="float32 or float64.*int64"):
        fn(Tensor(np.array([1, 2], dtype=np.int64)))


def test_layers_take_no_arguments_as_lucid():
    for cls in (nn.ReLU6, nn.HardSigmoid, nn.HardSwish, nn.Swish, nn.Mish):
        with pytest.raises(TypeError):
            cls(True)
