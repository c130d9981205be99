"""F.conv1d/2d/3d and F.unfold: values against the direct-loop references of
_conv_refs.py on every rank with stride, padding, dilation and groups; gradients of
input, weight and bias against central finite differences; dtypes; argument errors."""

import _conv_refs as ref
import numpy as np
import pytest
from helpers import check_op

import lucid.nn.functional as F
from lucid import Tensor

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}

# (input shape, weight shape, stride, padding, dilation, groups)
CASES = [
    ((2, 3, 8), (4, 3, 3), 1, 0, 1, 1),
    ((2, 4, 9), (6, 2, 3), 2, 2, 2, 2),
    ((1, 2, 5), (2, 2, 5), 1, 2, 1, 1),
    ((2, 3, 6, 5), (4, 3, 3, 2), (2, 1), (1, 2), (1, 2), 1),
    ((1, 4, 5, 5), (4, 1, 3, 3), 1, 1, 1, 4),
    ((1, 2, 4, 4), (3, 2, 1, 1), 3, 0, 1, 1),
    ((2, 6, 5, 4), (6, 2, 2, 2), (1, 2), 0, (2, 1), 3),
    ((1, 2, 4, 5, 4), (3, 2, 2, 3, 2), (1, 2, 1), 1, (2, 1, 1), 1),
    ((2, 4, 3, 3, 3), (2, 2, 2, 2, 2), 1, (0, 1, 0), 1, 2),
]


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, s) for s in shapes]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_values_match_the_direct_loop(case, with_bias):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, w, b = arrays(x_shape, w_shape, (w_shape[0],))
    b = b if with_bias else None
    fn = CONV[len(x_shape) - 2]
    y = fn(
        Tensor(x), Tensor(w), None if b is None else Tensor(b), stride, padding, dilation, groups
    )
    expected = ref.conv(x, w, b, stride, padding, dilation, groups)
    assert y.shape == expected.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_keywords_and_defaults_as_lucid():
    x, w = arrays((1, 2, 6), (3, 2, 2))
    y = F.conv1d(input_=Tensor(x), weight=Tensor(w))
    np.testing.assert_allclose(y.data, ref.conv(x, w), rtol=1e-12)
    tuple_args = F.conv1d(Tensor(x), Tensor(w), stride=(2,), padding=[1], dilation=(2,))
    np.testing.assert_allclose(tuple_args.data, ref.conv(x, w, None, 2, 1, 2), rtol=1e-12)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, dilation, groups",
    [
        ((2, 4, 7), (4, 2, 3), 2, 1, 2, 2),
        ((1, 2, 5, 4), (4, 2, 3, 2), (2, 1), (1, 0), (1, 2), 1),
        ((2, 4, 4, 3), (2, 2, 2, 2), 1, 1, 1, 2),
        ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (1, 2, 1), (0, 1, 1), (1, 1, 2), 1),
    ],
)
def test_gradients_match_finite_differences(x_shape, w_shape, stride, padding, dilation, groups):
    fn = CONV[len(x_shape) - 2]
    check_op(
        lambda x, w, b: fn(x, w, b, stride, padding, dilation, groups),
        x_shape,
        w_shape,
        (w_shape[0],),
        ref=lambda x, w, b: ref.conv(x, w, b, stride, padding, dilation, groups),
    )


def test_gradient_without_bias_and_of_a_broadcast_seed():
    x, w = (Tensor(a, requires_grad=True) for a in arrays((2, 2, 5, 5), (3, 2, 3, 3)))
    F.conv2d(x, w, None, 2, 1).sum().backward()
    # d sum(y) / d w[o, c, k] is the sum of the inputs each weight meets.
    xp = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected_w = np.zeros((3, 2, 3, 3))
    for i in range(3):
        for j in range(3):
            expected_w[:, :, i, j] = xp[:, :, i : i + 5 : 2, j : j + 5 : 2].sum(axis=(0, 2, 3))
    np.testing.assert_allclose(w.grad, expected_w, rtol=1e-12)
    # conv is linear in x: d sum(y) / d x[idx] is sum(conv(e_idx)), e_idx a one-hot input.
    expected_x = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[idx] = 1.0
        expected_x[idx] = ref.conv(e, w.data, None, 2, 1).sum()
    np.testing.assert_allclose(x.grad, expected_x, rtol=1e-12, atol=1e-12)


def test_padding_strings():
    x, w = arrays((1, 1, 7), (1, 1, 4))
    same = F.conv1d(Tensor(x), Tensor(w), padding="same", dilation=2)
    # d·(k − 1) = 6 in all: 3 before, 3 after; an odd total puts the extra one at the end.
    np.testing.assert_allclose(
        same.data, ref.conv(np.pad(x, ((0, 0), (0, 0), (3, 3))), w, None, 1, 0, 2)
    )
    even = F.conv1d(Tensor(x), Tensor(w), padding="same")
    assert even.shape == (1, 1, 7)
    np.testing.assert_allclose(even.data, ref.conv(np.pad(x, ((0, 0), (0, 0), (1, 2))), w))
    valid = F.conv1d(Tensor(x), Tensor(w), padding="valid")
    np.testing.assert_allclose(valid.data, ref.conv(x, w))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv1d(Tensor(x), Tensor(w), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'"):
        F.conv1d(Tensor(x), Tensor(w), padding="full")


def test_dtypes_follow_numpy_promotion():
    x, w, b = arrays((1, 2, 4, 4), (3, 2, 2, 2), (3,))
    single = F.conv2d(Tensor(x.astype(np.float32)), Tensor(w.astype(np.float32)))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.data, ref.conv(x, w), rtol=1e-5, atol=1e-6)
    mixed = F.conv2d(Tensor(x.astype(np.float32)), Tensor(w), Tensor(b.astype(np.float32)))
    assert mixed.dtype == np.float64
    xi, wi = np.arange(32).reshape(1, 2, 4, 4), np.arange(24).reshape(3, 2, 2, 2) - 10
    ints = F.conv2d(Tensor(xi), Tensor(wi))
    assert ints.dtype == np.int64 and not ints.requires_grad
    np.testing.assert_array_equal(ints.data, ref.conv(xi, wi).astype(np.int64))
    with pytest.raises(TypeError, match="conv2d: input_ must be a numeric tensor"):
        F.conv2d(Tensor(x > 0), Tensor(w))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_": np.zeros((1, 2, 5, 5))}, TypeError, "input_ must be a lucid Tensor"),
        ({"weight": "w"}, TypeError, "weight must be a lucid Tensor"),
        ({"bias": np.zeros(3)}, TypeError, "bias must be a lucid Tensor"),
        ({"input_": Tensor(np.zeros((2, 5, 5)))}, ValueError, "must be 4-D"),
        ({"weight": Tensor(np.zeros((3, 2, 2)))}, ValueError, "must be 4-D"),
        ({"weight": Tensor(np.zeros((3, 1, 2, 2)))}, ValueError, "groups=1"),
        ({"groups": 2}, ValueError, "groups=2"),
        ({"groups": 0}, ValueError, "groups must be >= 1, got 0"),
        ({"groups": 1.0}, TypeError, "groups must be an int"),
        ({"groups": True}, TypeError, "groups must be an int"),
        ({"bias": Tensor(np.zeros(2))}, ValueError, r"bias must have shape \(3,\)"),
        ({"stride": 0}, ValueError, "stride must hold ints >= 1"),
        ({"stride": (1,)}, ValueError, "stride must be an int or 2 ints"),
        ({"stride": "2"}, TypeError, "stride must be an int or a tuple"),
        ({"stride": (1, 1.5)}, TypeError, "stride must hold ints"),
        ({"padding": -1}, ValueError, "padding must hold ints >= 0"),
        ({"dilation": (1, 0)}, ValueError, "dilation must hold ints >= 1"),
        ({"dilation": 5}, ValueError, "larger than the padded input"),
        ({"weight": Tensor(np.zeros((3, 2, 6, 1)))}, ValueError, "larger than the padded"),
        ({"weight": Tensor(np.zeros((3, 2, 0, 2)))}, ValueError, "kernel must not be empty"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    args = {
        "input_": Tensor(np.zeros((1, 2, 5, 5))),
        "weight": Tensor(np.zeros((3, 2, 2, 2))),
        "bias": None,
    }
    args.update(kwargs)
    with pytest.raises(error, match=match):
        F.conv2d(**args)


# ---- unfold -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, kernel, stride, padding, dilation",
    [
        ((2, 3, 4, 5), (2, 3), (1, 2), (1, 0), (1, 1)),
        ((2, 2, 9), (3,), (2,), (1,), (2,)),
        ((1, 2, 3, 4, 3), (2, 2, 2), (1, 2, 1), (0, 1, 0), (1, 1, 2)),
        ((1, 1, 4, 4), 2, 2, 0, 1),
    ],
)
def test_unfold_rows_are_the_windows(x_shape, kernel, stride, padding, dilation):
    (x,) = arrays(x_shape)
    rows = F.unfold(Tensor(x), kernel, stride, padding, dilation)
    expected = ref.unfold_rows(x, kernel, stride, padding, dilation)
    assert rows.shape == expected.shape and rows.dtype == np.float64
    np.testing.assert_array_equal(rows.data, expected)
    assert (
        F.unfold(Tensor(x.astype(np.float32)), kernel, stride, padding, dilation).dtype
        == np.float32
    )


def test_unfold_gradient_matches_finite_differences():
    args = ((2, 2), (1, 2), (1, 1), (2, 1))
    check_op(lambda x: F.unfold(x, *args), (1, 2, 5, 5), ref=lambda x: ref.unfold_rows(x, *args))


@pytest.mark.parametrize(
    "x_shape, args, error, match",
    [
        ((2, 3), ((2,), (1,), (0,), (1,)), ValueError, "at least 3-D"),
        ((1, 1, 3, 3), ((4, 4), 1, 0, 1), ValueError, "larger than the padded input"),
        ((1, 1, 3, 3), ((2,), 1, 0, 1), ValueError, "filter_size must be an int or 2 ints"),
        ((1, 1, 3, 3), (2, 0, 0, 1), ValueError, "stride must hold ints >= 1"),
        ((1, 1, 3, 3), (2, 1, None, 1), TypeError, "padding must be an int"),
    ],
)
def test_unfold_bad_arguments(x_shape, args, error, match):
    with pytest.raises(error, match=match):
        F.unfold(Tensor(np.zeros(x_shape)), *args)
