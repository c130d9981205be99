"""Element-wise activations in nn.functional and all activation layers: values and
gradients against numpy references (check_op), extreme and tiny inputs, SELU's
self-normalising fixed point, in-place forms, argument errors and reprs.

softmax and log_softmax are tested in test_activation_softmax.py, the ulp-level
accuracy of the Rust GELU and SELU kernels in test_activation_accuracy.py.
"""

import math

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid.nn.functional.activation import SELU_ALPHA, SELU_SCALE

Z = 5.0  # standard errors allowed in statistical checks
ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946

erf_ref = np.vectorize(math.erf, otypes=[np.float64])
erfc_ref = np.vectorize(math.erfc, otypes=[np.float64])


def ref_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


ELEMENTWISE = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "leaky_relu(0.2)": (lambda t: F.leaky_relu(t, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (F.elu, ref_elu),
    "elu(0.5)": (lambda t: F.elu(t, alpha=0.5), lambda x: ref_elu(x, 0.5)),
    "selu": (F.selu, lambda x: SCALE * ref_elu(x, ALPHA)),
    "gelu": (
        lambda t: F.gelu(t, approximate="none"),
        lambda x: 0.5 * x * (1 + erf_ref(x / math.sqrt(2))),
    ),
    "gelu(default)": (F.gelu, ref_gelu_tanh),  # lucid's default is the tanh form
    "gelu(tanh)": (lambda t: F.gelu(t, approximate="tanh"), ref_gelu_tanh),
    "tanh": (F.tanh, np.tanh),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 2)])
def test_elementwise_values_gradients_and_float32(name, shape):
    fn, ref = ELEMENTWISE[name]
    check_op(fn, shape, ref=ref, low=-3.0, high=3.0)


# ---- extreme and tiny inputs ---------------------------------------------------------

EXTREME = np.array([-1000.0, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1000.0])


@pytest.mark.filterwarnings("error")  # no overflow or invalid-value warnings
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_extreme_inputs_give_finite_values_and_gradients(name, dtype):
    fn, ref = ELEMENTWISE[name]
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    y = fn(x)
    y.backward()
    assert y.dtype == dtype and np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    with np.errstate(over="ignore"):  # the naive references overflow where we must not
        np.testing.assert_allclose(y.data, ref(EXTREME), rtol=1e-6, atol=1e-30)


def test_saturation_values_are_exact():
    x = Tensor([-1000.0, 1000.0], dtype="float64", requires_grad=True)
    np.testing.assert_array_equal(F.sigmoid(x).data, [0.0, 1.0])
    np.testing.assert_array_equal(F.tanh(x).data, [-1.0, 1.0])
    np.testing.assert_array_equal(F.gelu(x, approximate="none").data, [0.0, 1000.0])
    np.testing.assert_allclose(F.selu(x).data, [-SCALE * ALPHA, SCALE * 1000.0], rtol=1e-15)
    np.testing.assert_allclose(F.elu(x, alpha=2.0).data, [-2.0, 1000.0], rtol=1e-15)
    F.gelu(x, approximate="none").sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_lower_tails_keep_relative_accuracy():
    # σ(−700) = e^−700/(1 + e^−700) and GELU(−10) = −10·Φ(−10) ≈ −7.6e-23: a formula
    # with 1 + erf or 1 + e^x would lose them entirely.
    x = np.array([-700.0, -30.0])
    np.testing.assert_allclose(F.sigmoid(Tensor(x)).data, np.exp(x) / (1 + np.exp(x)), rtol=1e-14)
    x = np.array([-10.0, -20.0, -37.0])
    want = x * 0.5 * erfc_ref(-x / math.sqrt(2))
    # erfc(u) has condition number 2u² (≈ 1400 at x = −37), and x/√2 is rounded.
    np.testing.assert_allclose(F.gelu(Tensor(x), approximate="none").data, want, rtol=1e-12)


@pytest.mark.parametrize("dtype, tiny", [(np.float64, 1e-300), (np.float32, 1e-30)])
def test_tiny_inputs_keep_their_digits(dtype, tiny):
    x = Tensor(np.array([-tiny, tiny], dtype=dtype))
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    # expm1, not exp(x) - 1 (which gives exactly 0 here).
    np.testing.assert_allclose(F.selu(x).data, [-SCALE * ALPHA * tiny, SCALE * tiny], rtol=rtol)
    np.testing.assert_allclose(F.elu(x, 0.5).data, [-0.5 * tiny, tiny], rtol=rtol)
    np.testing.assert_allclose(
        F.gelu(x, approximate="none").data, [-0.5 * tiny, 0.5 * tiny], rtol=rtol
    )
    np.testing.assert_allclose(F.tanh(x).data, [-tiny, tiny], rtol=rtol)
    np.testing.assert_allclose(F.sigmoid(x).data, [0.5, 0.5], rtol=rtol)


def test_gradients_at_zero_follow_pytorch():
    x = Tensor([0.0], dtype="float64", requires_grad=True)
    for fn, want in [
        (F.relu, 0.0),
        (lambda t: F.leaky_relu(t, 0.2), 0.2),
        (lambda t: F.elu(t, 0.5), 0.5),
        (F.selu, SCALE * ALPHA),
        (F.gelu, 0.5),
        (F.sigmoid, 0.25),
        (F.tanh, 1.0),
    ]:
        x.grad = None
        fn(x).backward()
        np.testing.assert_allclose(x.grad, [want], rtol=1e-15)


# ---- SELU's fixed point ------------------------------------------------------------


def test_selu_constants_are_exact():
    assert SELU_ALPHA == ALPHA == 1.6732632423543772
    assert SELU_SCALE == SCALE == 1.0507009873554805


def normal_expectation(fn, half_width=40.0, steps=80000):
    """E[fn(z)], z ~ N(0, 1), by composite Simpson on [-w, 0] and [0, w] (the kink at 0
    is a node, so each side is smooth)."""
    total = 0.0
    for lo, hi in [(-half_width, 0.0), (0.0, half_width)]:
        z = np.linspace(lo, hi, steps + 1)
        f = fn(z) * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        h = (hi - lo) / steps
        total += h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    return total


def test_selu_maps_standard_normal_to_mean_0_variance_1_by_quadrature():
    def selu(z):
        return F.selu(Tensor(z)).data

    assert abs(normal_expectation(selu)) < 1e-12
    assert abs(normal_expectation(lambda z: selu(z) ** 2) - 1.0) < 1e-12


def test_selu_fixed_point_on_a_million_normal_samples():
    n = 10**6
    z = np.random.default_rng(3).standard_normal(n)
    y = F.selu(Tensor(z)).data
    # The true mean is 0 and variance 1, so the sample mean has standard error 1/√n and
    # the sample variance sqrt((μ4 − 1)/n), with μ4 = E[selu(z)^4] from quadrature.
    mu4 = normal_expectation(lambda v: (SCALE * ref_elu(v, ALPHA)) ** 4)
    assert 1 < mu4 < 10
    assert abs(y.mean()) <= Z / math.sqrt(n)
    assert abs(y.var() - 1.0) <= Z * math.sqrt((mu4 - 1) / n)


def test_selu_network_keeps_activations_normalised():
    # Ten SELU layers with LeCun-normal weights: mean and variance stay near 0 and 1.
    rng = np.random.default_rng(4)
    width, layers = 256, 10
    net = nn.Sequential(*[m for _ in range(layers) for m in (nn.Linear(width, width), nn.SELU())])
    for layer in net[::2]:
        layer.weight.data[...] = rng.standard_normal((width, width)) / math.sqrt(width)
        layer.bias.data[...] = 0
    y = net(Tensor(rng.standard_normal((2000, width)).astype(np.float32))).data
    assert abs(y.mean()) < 0.1 and abs(y.var() - 1) < 0.1


# ---- in place -----------------------------------------------------------------------

INPLACE = {
    "relu": lambda t, **k: F.relu(t, **k),
    "leaky_relu": lambda t, **k: F.leaky_relu(t, 0.1, **k),
    "elu": lambda t, **k: F.elu(t, 0.7, **k),
    "selu": lambda t, **k: F.selu(t, **k),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_overwrites_and_returns_the_input(name):
    fn = INPLACE[name]
    values = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=np.float32)
    x = Tensor(values)
    data = x.data
    expected = fn(Tensor(values)).data
    y = fn(x, inplace=True)
    assert y is x and x.data is data
    np.testing.assert_array_equal(x.data, expected)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_refuses_a_leaf_that_requires_grad_in_grad_mode(name):
    # PyTorch's rule; a non-leaf is written and recorded (tests/hardening/test_inplace.py).
    x = Tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace=True.*leaf Variable that requires grad"):
        INPLACE[name](x, inplace=True)
    np.testing.assert_array_equal(x.data, [-1.0, 1.0])
    assert x._version == 0
    with lucid.no_grad():
        assert INPLACE[name](x, inplace=True) is x
    assert x._version == 1 and x.is_leaf


def test_inplace_layers():
    x = Tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.data.tolist() == [0.0, 2.0]
    assert nn.ReLU()(x) is not x


# ---- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: F.elu(x, alpha=-1.0), ValueError, r"alpha .*-1\.0"),
        (lambda x: F.elu(x, alpha=float("nan")), ValueError, "alpha .*nan"),
        (lambda x: F.elu(x, alpha="1"), TypeError, "alpha .*'1'"),
        (lambda x: F.leaky_relu(x, negative_slope=float("inf")), ValueError, "negative_slope"),
        (lambda x: F.leaky_relu(x, negative_slope=None), TypeError, "negative_slope .*None"),
        (lambda x: F.gelu(x, approximate="erf"), ValueError, "approximate .*'erf'"),
        (lambda x: F.softmax(x, axis=2), ValueError, r"axis 2 .*\(2, 3\)"),
        (lambda x: F.log_softmax(x, axis=-3), ValueError, "axis -3"),
        (lambda x: F.softmax(x, axis=1.0), TypeError, "axis .*1.0"),
        (lambda x: F.softmax(x, axis=True), TypeError, "axis .*True"),
        (lambda x: F.softmax(x, axis=0, dim=1), TypeError, "axis= or dim="),
        (lambda x: F.relu(x.data), TypeError, "input_ must be a lucid Tensor"),
        (lambda x: F.sigmoid(Tensor([1, 2], dtype="int64")), TypeError, "input_ .*int64"),
    ],
)
def test_bad_arguments_name_themselves(call, error, match):
    with pytest.raises(error, match=match):
        call(Tensor(np.zeros((2, 3), np.float32)))


def test_layers_check_arguments_when_built():
    with pytest.raises(ValueError, match=r"alpha .*-0\.5"):
        nn.ELU(alpha=-0.5)
    with pytest.raises(TypeError, match="negative_slope"):
        nn.LeakyReLU(negative_slope="0.1")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="fast")
    with pytest.raises(TypeError, match="axis"):
        nn.Softmax(axis="last")
    with pytest.raises(TypeError, match="axis= or dim="):
        nn.LogSoftmax(axis=0, dim=1)


# ---- layers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.SELU(), "SELU()"),
        (nn.SELU(inplace=True), "SELU(inplace=True)"),
        (nn.ReLU(), "ReLU()"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.ELU(alpha=0.5, inplace=True), "ELU(alpha=0.5, inplace=True)"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
        (nn.GELU(), "GELU(approximate='tanh')"),
        (nn.GELU(approximate="none"), "GELU(approximate='none')"),
        (nn.GELU(approximate="tanh"), "GELU(approximate='tanh')"),
        (nn.Tanh(), "Tanh()"),
        (nn.Sigmoid(), "Sigmoid()"),
        (nn.Softmax(), "Softmax(axis=-1)"),
        (nn.Softmax(dim=0), "Softmax(axis=0)"),
        (nn.LogSoftmax(axis=1), "LogSoftmax(axis=1)"),
    ],
)
def test_layer_reprs_and_no_parameters(layer, text):
    assert repr(layer) == text
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == []


@pytest.mark.parametrize(
    "layer, fn",
    [
        (nn.SELU(), F.selu),
        (nn.ReLU(), F.relu),
        (nn.ELU(0.3), lambda t: F.elu(t, 0.3)),
        (nn.LeakyReLU(0.3), lambda t: F.leaky_relu(t, 0.3)),
        (nn.GELU("tanh"), lambda t: F.gelu(t, "tanh")),
        (nn.Tanh(), F.tanh),
        (nn.Sigmoid(), F.sigmoid),
        (nn.Softmax(axis=0), lambda t: F.softmax(t, 0)),
        (nn.LogSoftmax(), F.log_softmax),
    ],
)
def test_layers_compute_their_function(layer, fn):
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    xt = Tensor(x, requires_grad=True)
    y = layer(xt)
    np.testing.assert_array_equal(y.data, fn(Tensor(x)).data)
    (y * Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))).sum().backward()
    assert xt.grad.dtype == np.float32 and np.abs(xt.grad).max() > 0


def test_gelu_tanh_approximation_stays_close_to_the_exact_form():
    x = Tensor(np.linspace(-8, 8, 10001))
    diff = np.abs(F.gelu(x, approximate="none").data - F.gelu(x, approximate="tanh").data)
    assert 1e-4 < diff.max() < 5e-4  # PyTorch's two forms differ by up to 4.7e-4
