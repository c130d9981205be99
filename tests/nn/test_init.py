"""lucid.nn.init, tested by the laws of each distribution.

Samples are large (n = 2**17) and every bound is derived from n: moments must sit
within 5 standard errors of their true values (a false failure has probability
below 1e-6 per check), and uniform draws must reach close to both ends of their range.
"""

import math

import numpy as np
import pytest

import lucid
from lucid import Tensor, nn
from lucid.nn import init

N = 1 << 17
Z = 5.0  # standard errors allowed


@pytest.fixture(autouse=True)
def _seeded():
    # Deterministic runs; the bounds above still hold for any seed with the stated odds.
    lucid.random.seed(1234)


def empty(shape, dtype=np.float32):
    return Tensor(np.zeros(shape, dtype=dtype), dtype=dtype)


def assert_uniform(values, low, high):
    """All values in [low, high]; mean, variance and extremes as U(low, high) predicts."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n, width = x.size, high - low
    assert x.min() >= low and x.max() <= high
    var = width**2 / 12
    assert abs(x.mean() - (low + high) / 2) <= Z * math.sqrt(var / n)
    # Var of the sample variance ≈ (μ4 − σ⁴)/n, with μ4 = width⁴/80 for a uniform.
    assert abs(x.var() - var) <= Z * math.sqrt((width**4 / 80 - var**2) / n)
    # P(no draw within width·20/n of an end) = (1 − 20/n)^n ≈ e^-20.
    assert x.min() <= low + width * 20 / n and x.max() >= high - width * 20 / n


def assert_normal(values, mean, std):
    """Mean, variance and the mass within one std as N(mean, std²) predicts."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) <= Z * std / math.sqrt(n)
    assert abs(x.var() - std**2) <= Z * math.sqrt(2 * std**4 / n)
    # 68.27% within one std: tells a normal from a uniform of the same variance (57.7%).
    p = math.erf(1 / math.sqrt(2))
    inside = np.mean(np.abs(x - mean) <= std)
    assert abs(inside - p) <= Z * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_fills_in_place_with_uniform_values(dtype):
    t = empty((N // 256, 256), dtype)
    view = t.data
    out = init.uniform(t, -2.0, 3.0)
    assert out is t and t.dtype == dtype and t.shape == (N // 256, 256)
    assert np.shares_memory(view, t.data)  # same storage, not a replacement
    np.testing.assert_array_equal(view, t.data)
    assert_uniform(t.data, -2.0, 3.0)


def test_uniform_defaults_to_zero_one():
    assert_uniform(init.uniform(empty((N,))).data, 0.0, 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_fills_in_place_with_normal_values(dtype):
    t = empty((N,), dtype)
    view = t.data
    assert init.normal(t, mean=1.5, std=0.25) is t
    assert np.shares_memory(view, t.data) and t.dtype == dtype
    assert_normal(t.data, 1.5, 0.25)


def test_normal_defaults_to_standard_and_zero_std_is_the_mean():
    assert_normal(init.normal(empty((N,))).data, 0.0, 1.0)
    np.testing.assert_array_equal(init.normal(empty((5,)), 4.0, 0.0).data, np.full(5, 4.0))


def test_constant_fills_every_element():
    t = empty((3, 4, 5), np.float64)
    view = t.data
    assert init.constant(t, -0.75) is t
    np.testing.assert_array_equal(view, np.full((3, 4, 5), -0.75))


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(empty((7, 3))) == (3, 7)
    # conv weight (out, in, kh, kw): each fan is multiplied by the receptive field.
    assert init._calculate_fan_in_and_fan_out(empty((8, 4, 3, 5))) == (4 * 15, 8 * 15)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*\(6,\)"):
        init._calculate_fan_in_and_fan_out(empty((6,)))


@pytest.mark.parametrize(
    "shape, kwargs, gain, fan",
    [
        ((512, 256), {}, math.sqrt(2.0), 256),  # default a=0: leaky_relu slope 0 = relu
        ((512, 256), {"a": math.sqrt(5)}, math.sqrt(1 / 3), 256),  # Linear's default
        ((256, 512), {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0), 256),
        ((64, 32, 2, 4), {"nonlinearity": "tanh"}, 5 / 3, 32 * 8),
        ((512, 256), {"nonlinearity": "linear"}, 1.0, 256),
    ],
)
def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan(shape, kwargs, gain, fan):
    t = empty(shape)
    view = t.data
    assert init.kaiming_uniform(t, **kwargs) is t
    assert np.shares_memory(view, t.data)
    bound = gain * math.sqrt(3.0 / fan)
    # float32 rounding of ±bound can land one ulp outside it.
    tol = float(np.spacing(np.float32(bound)))
    assert_uniform(t.data, -bound - tol, bound + tol)


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / (1 + 0.04))
    with pytest.raises(ValueError, match="nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(
    "fill",
    [
        lambda t: init.uniform(t, -1.0, 1.0),
        lambda t: init.normal(t, 0.0, 2.0),
        lambda t: init.kaiming_uniform(t, a=1.0),
    ],
    ids=["uniform", "normal", "kaiming_uniform"],
)
def test_same_seed_same_values_other_seed_other_values(fill):
    def draw(seed):
        lucid.random.seed(seed)
        return fill(empty((16, 8))).data.copy()

    np.testing.assert_array_equal(draw(11), draw(11))
    assert not np.array_equal(draw(11), draw(12))


def test_an_explicit_generator_is_used_and_leaves_the_default_alone():
    lucid.random.seed(3)
    state = lucid.random.get_state()
    a = init.uniform(empty((100,)), generator=lucid.random.Generator(9)).data.copy()
    b = init.normal(empty((100,)), generator=lucid.random.Generator(9)).data.copy()
    assert lucid.random.get_state() == state
    np.testing.assert_array_equal(
        a, init.uniform(empty((100,)), generator=lucid.random.Generator(9)).data
    )
    assert np.isfinite(b).all()


def test_pytorch_style_aliases_are_the_same_functions():
    assert init.uniform_ is init.uniform
    assert init.normal_ is init.normal
    assert init.constant_ is init.constant
    # kaiming's in-place forms take PyTorch's order (tensor, a, mode), so they are their
    # own functions over the same draws.
    lucid.random.seed(4)
    want = init.kaiming_uniform(empty((6, 5)), "fan_out", a=0.5).data.copy()
    lucid.random.seed(4)
    np.testing.assert_array_equal(init.kaiming_uniform_(empty((6, 5)), 0.5, "fan_out").data, want)


def test_init_of_a_parameter_keeps_it_a_registered_leaf():
    layer = nn.Linear(3, 2)
    weight = layer.weight
    init.constant(layer.weight, 0.5)
    init.constant(layer.bias, -0.25)
    assert layer.weight is weight and weight.is_leaf and weight.requires_grad
    # Exact in float32: 3 · 0.5 − 0.25.
    np.testing.assert_array_equal(layer(Tensor([[1.0, 1.0, 1.0]])).data, [[1.25, 1.25]])


def test_errors_name_the_bad_argument():
    with pytest.raises(TypeError, match="tensor must be a lucid Tensor"):
        init.uniform(np.zeros(3))
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform(empty((3,)), 1.0, 0.0)
    with pytest.raises(ValueError, match="std must be non-negative"):
        init.normal(empty((3,)), 0.0, -1.0)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform(empty((3, 3)), mode="fan_avg")
    with pytest.raises(TypeError, match="float32 or float64"):
        init.uniform(Tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(TypeError, match="val must be a number"):
        init.constant(empty((3,)), "1")


# ---- xavier, kaiming_normal, lecun ---------------------------------------------------


@pytest.mark.parametrize(
    "shape, gain",
    [((512, 256), 1.0), ((256, 512), 2.0), ((32, 64, 3, 3), init.calculate_gain("tanh"))],
)
def test_xavier_uniform_bound_is_gain_times_sqrt_6_over_fan_sum(shape, gain):
    t = empty(shape)
    view = t.data
    assert init.xavier_uniform(t, gain=gain) is t
    assert np.shares_memory(view, t.data) and t.dtype == np.float32
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    tol = float(np.spacing(np.float32(bound)))
    assert_uniform(t.data, -bound - tol, bound + tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, gain", [((512, 256), 1.0), ((64, 32, 2, 4), 0.5)])
def test_xavier_normal_std_is_gain_times_sqrt_2_over_fan_sum(shape, gain, dtype):
    t = empty(shape, dtype)
    view = t.data
    assert init.xavier_normal(t, gain) is t
    assert np.shares_memory(view, t.data) and t.dtype == dtype
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    assert_normal(t.data, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


@pytest.mark.parametrize(
    "shape, kwargs, gain, fan",
    [
        ((512, 256), {}, math.sqrt(2.0), 256),  # a=0: leaky_relu with slope 0 = relu
        ((512, 256), {"a": math.sqrt(5)}, math.sqrt(1 / 3), 256),
        ((256, 512), {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0), 256),
        ((64, 32, 2, 4), {"nonlinearity": "selu"}, 3 / 4, 32 * 8),
    ],
)
def test_kaiming_normal_std_is_gain_over_sqrt_fan(shape, kwargs, gain, fan):
    t = empty(shape)
    view = t.data
    assert init.kaiming_normal(t, **kwargs) is t
    assert np.shares_memory(view, t.data)
    assert_normal(t.data, 0.0, gain / math.sqrt(fan))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, fan_in", [((512, 256), 256), ((64, 16, 4, 2), 16 * 8)])
def test_lecun_normal_variance_is_one_over_fan_in(shape, fan_in, dtype):
    t = empty(shape, dtype)
    view = t.data
    assert init.lecun_normal(t) is t
    assert np.shares_memory(view, t.data) and t.dtype == dtype
    assert_normal(t.data, 0.0, 1.0 / math.sqrt(fan_in))


def test_lecun_uniform_variance_is_one_over_fan_in():
    t = empty((512, 256))
    assert init.lecun_uniform(t) is t
    bound = math.sqrt(3.0 / 256)
    tol = float(np.spacing(np.float32(bound)))
    assert_uniform(t.data, -bound - tol, bound + tol)


@pytest.mark.parametrize(
    "fill",
    [
        init.xavier_uniform,
        init.xavier_normal,
        init.kaiming_normal,
        init.lecun_normal,
        init.lecun_uniform,
    ],
)
def test_new_initialisers_need_two_dimensions_and_a_tensor(fill):
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*\(6,\)"):
        fill(empty((6,)))
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*\(\)"):
        fill(empty(()))
    with pytest.raises(TypeError, match="tensor must be a lucid Tensor"):
        fill(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="float32 or float64"):
        fill(Tensor(np.zeros((3, 3), dtype=np.int64)))


def test_new_initialisers_check_their_arguments():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal(empty((3, 3)), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity 'swish'"):
        init.kaiming_normal(empty((3, 3)), nonlinearity="swish")
    with pytest.raises(ValueError, match="gain must be a finite number, got 'x'"):
        init.xavier_uniform(empty((3, 3)), gain="x")
    with pytest.raises(ValueError, match="gain must be a finite number, got nan"):
        init.xavier_normal(empty((3, 3)), gain=float("nan"))


@pytest.mark.parametrize(
    "fill",
    [
        init.xavier_uniform,
        init.xavier_normal,
        init.kaiming_normal,
        init.lecun_normal,
        init.lecun_uniform,
    ],
)
def test_new_initialisers_leave_a_tensor_with_zero_fan_unchanged(fill):
    t = empty((4, 0))  # fan_in = 0: lecun's and kaiming's variance would be infinite
    assert fill(t) is t and t.shape == (4, 0)
    t = empty((0, 0))  # fan_in + fan_out = 0 for xavier
    assert fill(t) is t and t.shape == (0, 0)


@pytest.mark.parametrize(
    "fill",
    [
        init.xavier_uniform,
        init.xavier_normal,
        init.kaiming_normal,
        init.lecun_normal,
        init.lecun_uniform,
    ],
)
def test_new_initialisers_are_seeded_and_take_a_generator(fill):
    def draw(seed):
        lucid.random.seed(seed)
        return fill(empty((16, 8))).data.copy()

    np.testing.assert_array_equal(draw(11), draw(11))
    assert not np.array_equal(draw(11), draw(12))
    lucid.random.seed(3)
    state = lucid.random.get_state()
    a = fill(empty((16, 8)), generator=lucid.random.Generator(9)).data.copy()
    assert lucid.random.get_state() == state
    np.testing.assert_array_equal(a, fill(empty((16, 8)), generator=lucid.random.Generator(9)).data)


def test_new_pytorch_style_aliases_are_the_same_functions():
    assert init.xavier_uniform_ is init.xavier_uniform
    assert init.xavier_normal_ is init.xavier_normal
    lucid.random.seed(4)
    want = init.kaiming_normal(empty((6, 5)), "fan_out", a=0.5).data.copy()
    lucid.random.seed(4)
    np.testing.assert_array_equal(init.kaiming_normal_(empty((6, 5)), 0.5, "fan_out").data, want)
    assert init.lecun_normal_ is init.lecun_normal
    assert init.lecun_uniform_ is init.lecun_uniform
