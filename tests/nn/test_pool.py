"""Pooling (lucid.nn.functional.pool and the pooling layers) against direct-loop numpy
references: every rank, kernel/stride/padding variants, the adaptive windows, gradients
by finite differences, dtypes, ties, and the argument errors."""

import itertools
import math

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

POOL = {("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}
POOL |= {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d}
ADAPTIVE = {
    ("avg", 1): F.adaptive_avg_pool1d,
    ("avg", 2): F.adaptive_avg_pool2d,
    ("avg", 3): F.adaptive_avg_pool3d,
    ("max", 1): F.adaptive_max_pool1d,
    ("max", 2): F.adaptive_max_pool2d,
    ("max", 3): F.adaptive_max_pool3d,
}


def _tuple(v, d):
    return tuple(v) if isinstance(v, tuple) else (v,) * d


def ref_pool(x, kernel, stride, padding, mode, d):
    """One output element at a time: the window's in-range values; the average divides
    by the whole kernel (padding counts as zeros), the maximum ignores padding."""
    kernel, stride, padding = (_tuple(v, d) for v in (kernel, stride, padding))
    spatial = x.shape[-d:]
    out_shape = [
        (n + 2 * p - k) // s + 1
        for n, k, s, p in zip(spatial, kernel, stride, padding, strict=True)
    ]
    out = np.zeros(x.shape[:-d] + tuple(out_shape))
    for lead in np.ndindex(x.shape[:-d]):
        for o in np.ndindex(*out_shape):
            values = []
            for j in np.ndindex(*kernel):
                pos = [oi * s + ji - p for oi, ji, s, p in zip(o, j, stride, padding, strict=True)]
                if all(0 <= q < n for q, n in zip(pos, spatial, strict=True)):
                    values.append(x[lead + tuple(pos)])
            if mode == "avg":
                out[lead + o] = sum(values) / math.prod(kernel)
            else:
                out[lead + o] = max(values)
    return out


def ref_adaptive(x, size, mode, d):
    size = _tuple(size, d)
    spatial = x.shape[-d:]
    out = np.zeros(x.shape[:-d] + size)
    for lead in np.ndindex(x.shape[:-d]):
        for o in np.ndindex(*size):
            box = tuple(
                slice(math.floor(i * n / m), math.ceil((i + 1) * n / m))
                for i, n, m in zip(o, spatial, size, strict=True)
            )
            window = x[lead + box]
            out[lead + o] = window.mean() if mode == "avg" else window.max()
    return out


CASES = [  # (d, input shape, kernel, stride, padding)
    (1, (2, 3, 7), 2, 1, 0),
    (1, (2, 3, 7), 3, 2, 1),
    (1, (1, 2, 8), 4, 4, 2),
    (2, (2, 2, 5, 6), 2, 2, 0),
    (2, (1, 3, 5, 5), (3, 2), (1, 2), (1, 0)),
    (2, (2, 1, 6, 4), 3, 3, 1),
    (3, (1, 2, 4, 5, 4), 2, 1, 0),
    (3, (2, 1, 5, 4, 5), (3, 2, 2), (2, 1, 2), (1, 1, 0)),
]


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("d, shape, kernel, stride, padding", CASES)
def test_pool_values_match_the_loop(mode, d, shape, kernel, stride, padding):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    got = POOL[mode, d](lucid.Tensor(x), kernel, stride, padding)
    expected = ref_pool(x, kernel, stride, padding, mode, d)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("d, shape, kernel, stride, padding", CASES[1::2])
def test_pool_gradients_match_finite_differences(mode, d, shape, kernel, stride, padding):
    fn = POOL[mode, d]
    check_op(
        lambda t: fn(t, kernel, stride, padding),
        shape,
        ref=lambda a: ref_pool(a, kernel, stride, padding, mode, d),
    )


ADAPTIVE_CASES = [  # (d, input shape, output size): divisible, not, larger than the input
    (1, (2, 3, 6), 3),
    (1, (2, 2, 7), 3),
    (1, (1, 2, 3), 5),
    (2, (2, 2, 6, 4), (3, 2)),
    (2, (1, 2, 5, 7), (3, 4)),
    (2, (1, 1, 3, 2), 4),
    (3, (1, 2, 4, 5, 3), (2, 3, 2)),
    (3, (1, 1, 3, 3, 5), 2),
]


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("d, shape, size", ADAPTIVE_CASES)
def test_adaptive_values_match_the_loop(mode, d, shape, size):
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    got = ADAPTIVE[mode, d](lucid.Tensor(x), size)
    expected = ref_adaptive(x, size, mode, d)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("d, shape, size", ADAPTIVE_CASES[1::2])
def test_adaptive_gradients_match_finite_differences(mode, d, shape, size):
    fn = ADAPTIVE[mode, d]
    check_op(lambda t: fn(t, size), shape, ref=lambda a: ref_adaptive(a, size, mode, d))


def test_adaptive_none_keeps_that_axis():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))
    got = F.adaptive_avg_pool2d(lucid.Tensor(x), (2, None))
    np.testing.assert_allclose(got.data, ref_adaptive(x, (2, 4), "avg", 2))


def test_padding_counts_in_the_average_and_never_wins_the_maximum():
    x = lucid.Tensor(np.array([[[-1.0, -2.0, -3.0]]]))
    np.testing.assert_allclose(F.avg_pool1d(x, 2, 2, 1).data, [[[-0.5, -2.5]]])
    np.testing.assert_allclose(F.max_pool1d(x, 2, 2, 1).data, [[[-1.0, -2.0]]])


def test_max_ties_send_the_gradient_to_the_first_maximum():
    x = lucid.Tensor(np.ones((1, 1, 4)), requires_grad=True)
    F.max_pool1d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[1.0, 1.0, 1.0, 0.0]]])
    x = lucid.Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    F.max_pool2d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    x = lucid.Tensor(np.zeros((1, 1, 2, 3)), requires_grad=True)
    F.adaptive_max_pool2d(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0, 0], [0, 0, 0]])


def test_overlapping_windows_add_their_gradients():
    x = lucid.Tensor(np.array([[[0.0, 5.0, 1.0, 2.0]]]), requires_grad=True)
    F.max_pool1d(x, 3, 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[0.0, 2.0, 0.0, 0.0]]])


def test_windows_of_minus_inf_route_to_their_first_input_and_nan_propagates():
    x = lucid.Tensor(np.full((1, 1, 3), -np.inf), requires_grad=True)
    y = F.max_pool1d(x, 2, 2, 1)
    assert np.all(y.data == -np.inf)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[1.0, 1.0, 0.0]]])
    nan = F.max_pool1d(lucid.Tensor(np.array([[[1.0, np.nan, 0.0, 2.0]]])), 2, 2)
    assert np.isnan(nan.data[0, 0, 0]) and nan.data[0, 0, 1] == 2.0


@pytest.mark.parametrize("fn", [F.avg_pool2d, F.max_pool2d])
def test_float32_stays_float32(fn):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    t = lucid.Tensor(x.astype(np.float32), requires_grad=True)
    y = fn(t, 3, 2, 1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, fn(lucid.Tensor(x), 3, 2, 1).data, rtol=1e-6, atol=1e-6)
    y.sum().backward()
    assert t.grad.dtype == np.float32
    ad = F.adaptive_avg_pool2d(lucid.Tensor(x.astype(np.float32)), 3)
    assert ad.dtype == np.float32


def test_integers_max_pool_to_int64_and_average_to_float64():
    x = lucid.Tensor(np.arange(10).reshape(1, 1, 10))
    y = F.max_pool1d(x, 2, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.data, [[[1, 3, 5, 7, 9]]])
    y = F.avg_pool1d(x, 2, 2)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, [[[0.5, 2.5, 4.5, 6.5, 8.5]]])
    np.testing.assert_array_equal(F.max_pool1d(x, 2, 2, 1).data, [[[0, 2, 4, 6, 8, 9]]])


@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_input_pools_as_a_batch_of_one(d):
    x = np.random.default_rng(d).standard_normal((2,) + (5,) * d)
    batched = F.avg_pool1d if d == 1 else F.avg_pool2d if d == 2 else F.avg_pool3d
    got = batched(lucid.Tensor(x), 2, 2)
    np.testing.assert_allclose(got.data, batched(lucid.Tensor(x[None]), 2, 2).data[0])
    adaptive = ADAPTIVE["max", d](lucid.Tensor(x), 2)
    np.testing.assert_allclose(adaptive.data, ADAPTIVE["max", d](lucid.Tensor(x[None]), 2).data[0])


def test_defaults_are_lucids_kernel_one_stride_one():
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d(lucid.Tensor(x)).data, x)
    np.testing.assert_array_equal(F.avg_pool2d(lucid.Tensor(x), 2).shape, (1, 2, 3, 3))


X1 = lucid.Tensor(np.zeros((1, 1, 4)))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: F.max_pool1d(X1, 5), ValueError, "kernel_size"),
        (lambda: F.avg_pool1d(X1, 2, 0), ValueError, "stride"),
        (lambda: F.avg_pool1d(X1, 2, 1, -1), ValueError, "padding"),
        (lambda: F.max_pool1d(X1, 2, 1, 2), ValueError, "half"),
        (lambda: F.avg_pool1d(X1, 2.0), TypeError, "kernel_size"),
        (lambda: F.avg_pool1d(X1, True), TypeError, "kernel_size"),
        (lambda: F.avg_pool2d(lucid.Tensor(np.zeros((1, 1, 4, 4))), (2, 2, 2)), ValueError, "2"),
        (lambda: F.avg_pool2d(lucid.Tensor(np.zeros((1, 4))), 1), ValueError, "shape"),
        (lambda: F.max_pool1d(np.zeros((1, 1, 4)), 2), TypeError, "Tensor"),
        (lambda: F.max_pool1d(lucid.Tensor(np.zeros((1, 1, 4), bool)), 2), TypeError, "dtype"),
        (lambda: F.avg_pool1d(lucid.Tensor(np.zeros((1, 1, 0))), 1), ValueError, "positive"),
        (lambda: F.adaptive_avg_pool1d(X1, 0), ValueError, "output_size"),
        (lambda: F.adaptive_max_pool2d(lucid.Tensor(np.zeros(4)), 2), ValueError, "shape"),
        (
            lambda: F.adaptive_max_pool3d(lucid.Tensor(np.zeros((1, 1, 2, 2, 2))), "2"),
            TypeError,
            "output_size",
        ),
        (lambda: nn.MaxPool2d((2, 2, 2)), ValueError, "kernel_size"),
        (lambda: nn.AdaptiveAvgPool2d(-1), ValueError, "output_size"),
    ],
)
def test_bad_arguments_are_named_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


LAYERS = [
    (nn.AvgPool1d, 1, "avg"),
    (nn.AvgPool2d, 2, "avg"),
    (nn.AvgPool3d, 3, "avg"),
    (nn.MaxPool1d, 1, "max"),
    (nn.MaxPool2d, 2, "max"),
    (nn.MaxPool3d, 3, "max"),
]


@pytest.mark.parametrize("layer, d, mode", LAYERS)
def test_layers_keep_tuples_print_them_and_pool(layer, d, mode):
    m = layer(2, padding=1)
    assert m.kernel_size == (2,) * d and m.stride == (1,) * d and m.padding == (1,) * d
    name = layer.__name__
    assert repr(m) == f"{name}(kernel_size={(2,) * d}, stride={(1,) * d}, padding={(1,) * d})"
    assert repr(layer()) == f"{name}(kernel_size={(1,) * d}, stride={(1,) * d}, padding={(0,) * d})"
    x = np.random.default_rng(d).standard_normal((1, 2) + (4,) * d)
    np.testing.assert_allclose(m(lucid.Tensor(x)).data, ref_pool(x, 2, 1, 1, mode, d))
    assert list(m.parameters()) == []


@pytest.mark.parametrize("name, d, mode", [(k, n, m) for (m, n), k in zip(ADAPTIVE, [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
], strict=True)])  # fmt: skip
def test_adaptive_layers_keep_output_size_as_given(name, d, mode):
    layer = getattr(nn, name)
    assert repr(layer(3)) == f"{name}(output_size=3)"
    size = tuple(range(2, 2 + d))
    m = layer(size)
    assert m.output_size == size and repr(m) == f"{name}(output_size={size})"
    x = np.random.default_rng(d).standard_normal((2, 1) + (5,) * d)
    np.testing.assert_allclose(m(lucid.Tensor(x)).data, ref_adaptive(x, size, mode, d))


def test_every_window_place_is_visited_once_per_output():
    # The gradient of a sum of averages counts, at each input, the windows covering it.
    x = lucid.Tensor(np.zeros((1, 1, 5, 5)), requires_grad=True)
    F.avg_pool2d(x, 3, 2, 1).sum().backward()
    cover = np.zeros((7, 7))
    for i, j in itertools.product(range(3), range(3)):
        cover[2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += 1 / 9
    np.testing.assert_allclose(x.grad[0, 0], cover[1:6, 1:6])


# ---- saved-version declarations (rows for tests/hardening/test_saved_versions.py) ----

KEEPS_NOTHING = {  # backward reads only window tables, taps or its own copies
    "_Pool avg": (lambda t: F.avg_pool1d(t, 2, 1, 1), "_Pool"),
    "_Pool max": (lambda t: F.adaptive_max_pool1d(t, 2), "_Pool"),
    "_Separable": (lambda t: F.interpolate(t, 5, "linear"), "_Separable"),
}


@pytest.mark.parametrize("name", ["_Pool avg", "_Pool max", "_Separable"])
def test_writing_the_input_after_forward_changes_no_gradient(name):
    fn, cls = KEEPS_NOTHING[name]
    grads = []
    for written in (False, True):
        x = lucid.Tensor(np.array([[[0.3, -1.2, 2.0, 0.7]]]), requires_grad=True)
        y = x * 1.0
        out = fn(y)
        assert type(out._ctx).__name__ == cls
        assert not type(out._ctx).saved_inputs and not type(out._ctx).saved_output
        if written:
            with lucid.no_grad():
                y += 5.0
        (
            out * lucid.Tensor(np.arange(out.size, dtype=np.float64).reshape(out.shape))
        ).sum().backward()
        grads.append(x.grad.copy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_grid_sample_raises_when_its_input_is_written_before_the_grids_gradient():
    x = lucid.Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    grid = lucid.Tensor(np.array([[[[0.3, -0.2]]]]), requires_grad=True)
    y = x * 1.0
    out = F.grid_sample(y, grid)
    with lucid.no_grad():
        y += 1.0
    with pytest.raises(RuntimeError, match="input 0 of _Sample"):
        out.sum().backward()
    theta = lucid.Tensor(np.eye(2, 3)[None], requires_grad=True)
    grid = F.affine_grid(theta, (1, 1, 2, 2))
    assert not type(grid._ctx).saved_inputs and not type(grid._ctx).saved_output
