"""interpolate, affine_grid, grid_sample, rotate and nn.Upsample against direct-loop
numpy references (PyTorch's formulas, one output element at a time), gradients by
finite differences, dtypes and the argument errors."""

import math

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def z(*shape):
    return lucid.Tensor(np.zeros(shape))


def _source(o, n_in, n_out, align):
    if align:
        return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return max((o + 0.5) * n_in / n_out - 0.5, 0.0)


def ref_interpolate(x, size, mode, align=False):
    d = x.ndim - 2
    size = (size,) * d if isinstance(size, int) else tuple(size)
    spatial = x.shape[2:]
    out = np.zeros(x.shape[:2] + size)
    for o in np.ndindex(*size):
        if mode == "nearest":
            src = tuple(
                min(math.floor(i * n / m), n - 1) for i, n, m in zip(o, spatial, size, strict=True)
            )
            out[(..., *o)] = x[(..., *src)]
        elif mode == "area":
            box = tuple(
                slice(math.floor(i * n / m), math.ceil((i + 1) * n / m))
                for i, n, m in zip(o, spatial, size, strict=True)
            )
            out[(..., *o)] = x[(..., *box)].mean(axis=tuple(range(2, 2 + d)))
        else:
            total = 0.0
            for corner in np.ndindex(*(2,) * d):
                weight, pos = 1.0, []
                for c, i, n, m in zip(corner, o, spatial, size, strict=True):
                    s = _source(i, n, m, align)
                    low = min(math.floor(s), n - 1)
                    frac = s - low
                    weight *= frac if c else 1 - frac
                    pos.append(min(low + c, n - 1))
                total = total + weight * x[(..., *pos)]
            out[(..., *o)] = total
    return out


INTERP = [  # (input shape, size)
    ((2, 2, 5), 8),
    ((1, 2, 7), 3),
    ((1, 2, 4, 5), (7, 3)),
    ((2, 1, 3, 3), 5),
    ((1, 1, 3, 4, 2), (5, 2, 3)),
]


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kind", ["nearest", "area", "linear"])
@pytest.mark.parametrize("shape, size", INTERP)
def test_interpolate_matches_the_loop(shape, size, kind, align):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    mode = LINEAR[len(shape) - 2] if kind == "linear" else kind
    got = F.interpolate(lucid.Tensor(x), size, mode, align)
    expected = ref_interpolate(x, size, kind, align)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["nearest", "area", "linear"])
@pytest.mark.parametrize("shape, size", INTERP[1::2])
def test_interpolate_gradients(shape, size, kind):
    mode = LINEAR[len(shape) - 2] if kind == "linear" else kind
    check_op(
        lambda t: F.interpolate(t, size, mode, True),
        shape,
        ref=lambda a: ref_interpolate(a, size, kind, True),
    )


def test_interpolate_known_values_and_same_size_is_the_identity():
    x = lucid.Tensor(np.array([[[0.0, 10.0, 20.0, 30.0]]]))
    np.testing.assert_allclose(
        F.interpolate(x, 8, "linear").data[0, 0], [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]
    )
    np.testing.assert_allclose(F.interpolate(x, 7, "linear", True).data[0, 0], np.arange(7) * 5)
    np.testing.assert_array_equal(
        F.interpolate(x, 8, "nearest").data[0, 0], np.repeat(x.data[0, 0], 2)
    )
    y = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    np.testing.assert_array_equal(F.interpolate(lucid.Tensor(y), (3, 4)).data, y)


def test_a_nan_input_stays_where_it_is():
    x = lucid.Tensor(np.array([[[1.0, 2.0, np.nan, 4.0, 5.0, 6.0]]]))
    near = F.interpolate(x, 12, "nearest").data[0, 0]
    np.testing.assert_array_equal(np.isnan(near), np.arange(12) // 2 == 2)
    with np.errstate(invalid="ignore"):
        line = F.interpolate(x, 3, "linear").data[0, 0]  # reads (0, 1), (2, 3), (4, 5)
    np.testing.assert_allclose(line[[0, 2]], [1.5, 5.5])
    assert np.isnan(line[1])


def test_interpolate_keeps_float32():
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((1, 1, 3, 3)).astype(np.float32))
    for mode in ("bilinear", "nearest", "area"):
        assert F.interpolate(x, (5, 2), mode).dtype == np.float32


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: F.interpolate(z(1, 1, 4), 2), ValueError, "linear"),
        (lambda: F.interpolate(z(1, 1, 4, 4), 2, "bicubic"), ValueError, "mode"),
        (lambda: F.interpolate(z(1, 1, 4, 4), (2, 2, 2)), ValueError, "size"),
        (lambda: F.interpolate(z(1, 1, 4, 4), 0), ValueError, "size"),
        (lambda: F.interpolate(z(4, 4), (2, 2)), ValueError, "shape"),
        (lambda: F.interpolate(z(1, 1, 4, 4), 2, "bilinear", 1), TypeError, "align_corners"),
        (lambda: F.interpolate(lucid.Tensor(np.zeros((1, 1, 2), np.int64)), 2), TypeError, "float"),
        (lambda: F.interpolate([1.0], 2), TypeError, "Tensor"),
    ],
)  # fmt: skip
def test_interpolate_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ---- affine_grid and grid_sample ----------------------------------------------------


def _norm_positions(n, align):
    if n == 1:
        return [0.0]
    return [(-1 + 2 * i / (n - 1)) if align else (2 * i + 1) / n - 1 for i in range(n)]


def ref_affine_grid(theta, size, align):
    spatial = size[2:]
    d = len(spatial)
    out = np.zeros((size[0], *spatial, d))
    axes = [_norm_positions(n, align) for n in spatial]
    for n in range(size[0]):
        for p in np.ndindex(*spatial):
            point = [axes[a][p[a]] for a in reversed(range(d))] + [1.0]
            out[(n, *p)] = theta[n] @ np.array(point)
    return out


def ref_grid_sample(x, grid, mode, padding, align):
    n_batch, channels = x.shape[:2]
    spatial = x.shape[2:]
    d = len(spatial)
    out = np.zeros((n_batch, channels) + grid.shape[1:-1])
    for n in range(n_batch):
        for p in np.ndindex(*grid.shape[1:-1]):
            coords = []
            for a in range(d):  # spatial axis a reads grid component d - 1 - a
                g, size = grid[(n, *p, d - 1 - a)], spatial[a]
                c = (g + 1) * (size - 1) / 2 if align else ((g + 1) * size - 1) / 2
                coords.append(min(max(c, 0), size - 1) if padding == "border" else c)
            corners = [
                [round(c)] if mode == "nearest" else [math.floor(c), math.floor(c) + 1]
                for c in coords
            ]
            for pos in np.ndindex(*(len(c) for c in corners)):
                idx = [corners[a][pos[a]] for a in range(d)]
                if not all(0 <= i < size for i, size in zip(idx, spatial, strict=True)):
                    continue
                weight = 1.0
                if mode != "nearest":
                    for c, i in zip(coords, idx, strict=True):
                        weight *= 1 - abs(c - i)
                out[(n, slice(None), *p)] += weight * x[(n, slice(None), *idx)]
    return out


@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("size", [(2, 1, 3, 4), (1, 2, 2, 3, 4), (1, 1, 1, 3)])
def test_affine_grid_matches_the_loop(size, align):
    d = len(size) - 2
    theta = np.random.default_rng(d).standard_normal((size[0], d, d + 1))
    got = F.affine_grid(lucid.Tensor(theta), size, align)
    expected = ref_affine_grid(theta, size, align)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


def test_affine_grid_identity_and_gradient():
    identity = lucid.Tensor(np.array([[[1.0, 0, 0], [0, 1, 0]]]))
    grid = F.affine_grid(identity, (1, 1, 2, 3), align_corners=False).data
    np.testing.assert_allclose(grid[0, :, :, 0], [[-2 / 3, 0, 2 / 3]] * 2)
    np.testing.assert_allclose(grid[0, :, :, 1], [[-0.5] * 3, [0.5] * 3])
    for size in [(2, 1, 3, 2), (1, 1, 2, 2, 3)]:
        d = len(size) - 2
        check_op(
            lambda t, s=size: F.affine_grid(t, s),
            (size[0], d, d + 1),
            ref=lambda a, s=size: ref_affine_grid(a, s, True),
        )


SAMPLES = [((2, 2, 3, 4), (2, 3, 2, 2)), ((1, 2, 2, 3, 3), (1, 2, 2, 1, 3))]


@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("padding", ["zeros", "border"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("shape, grid_shape", SAMPLES)
def test_grid_sample_matches_the_loop(shape, grid_shape, mode, padding, align):
    rng = np.random.default_rng(len(shape))
    x, grid = rng.standard_normal(shape), rng.uniform(-1.6, 1.6, grid_shape)
    got = F.grid_sample(lucid.Tensor(x), lucid.Tensor(grid), mode, padding, align)
    expected = ref_grid_sample(x, grid, mode, padding, align)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align", [True, False])
def test_identity_grid_reads_the_input_back(align):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    theta = lucid.Tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    grid = F.affine_grid(theta, (2, 3, 4, 5), align)
    got = F.grid_sample(lucid.Tensor(x), grid, align_corners=align)
    np.testing.assert_allclose(got.data, x, atol=1e-12)


@pytest.mark.parametrize("padding", ["zeros", "border"])
@pytest.mark.parametrize("shape, grid_shape", SAMPLES)
def test_grid_sample_gradients_for_input_and_grid(shape, grid_shape, padding):
    grid = np.random.default_rng(5).uniform(-0.9, 0.9, grid_shape)
    check_op(
        lambda t, g: F.grid_sample(t, g, "bilinear", padding, False),
        shape,
        grid,
        ref=lambda a, g: ref_grid_sample(a, g, "bilinear", padding, False),
    )
    fixed = np.random.default_rng(6).uniform(-1.3, 1.3, grid_shape)
    check_op(
        lambda t: F.grid_sample(t, lucid.Tensor(fixed.astype(t.dtype)), "nearest", padding),
        shape,
        ref=lambda a: ref_grid_sample(a, fixed, "nearest", padding, True),
    )


def test_points_far_outside_read_zeros_and_nan_points_too():
    x = lucid.Tensor(np.ones((1, 1, 2, 2)))
    grid = lucid.Tensor(np.array([[[[-5.0, 0.0], [1e30, 0.0], [np.nan, 0.0]]]]))
    np.testing.assert_array_equal(F.grid_sample(x, grid).data, [[[[0.0, 0.0, 0.0]]]])
    border = F.grid_sample(x, grid, padding_mode="border").data
    np.testing.assert_array_equal(border[..., :2], [[[[1.0, 1.0]]]])


def test_grid_sample_dtypes_follow_promotion():
    x = np.ones((1, 1, 2, 2))
    grid = np.zeros((1, 1, 1, 2))
    f32 = F.grid_sample(lucid.Tensor(x.astype(np.float32)), lucid.Tensor(grid.astype(np.float32)))
    assert f32.dtype == np.float32
    mixed = F.grid_sample(lucid.Tensor(x.astype(np.float32)), lucid.Tensor(grid))
    assert mixed.dtype == np.float64


X4 = z(1, 1, 3, 3)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: F.affine_grid(z(1, 2, 2), (1, 1, 3, 3)), ValueError, "theta"),
        (lambda: F.affine_grid(z(2, 2, 3), (1, 1, 3, 3)), ValueError, "theta"),
        (lambda: F.affine_grid(z(1, 2, 3), (1, 3, 3)), ValueError, "size"),
        (lambda: F.affine_grid(z(1, 2, 3), (1, 1, 0, 3)), ValueError, "size"),
        (lambda: F.grid_sample(X4, z(1, 2, 2, 3)), ValueError, "grid"),
        (lambda: F.grid_sample(X4, z(2, 2, 2, 2)), ValueError, "grid"),
        (lambda: F.grid_sample(X4, z(1, 2, 2, 2), "area"), ValueError, "mode"),
        (lambda: F.grid_sample(X4, z(1, 2, 2, 2), padding_mode="wrap"), ValueError, "padding_mode"),
        (lambda: F.grid_sample(X4, np.zeros((1, 2, 2, 2))), TypeError, "grid"),
        (lambda: F.grid_sample(z(1, 3, 3), z(1, 2, 2)), ValueError, "shape"),
        (lambda: F.rotate(X4, "90"), TypeError, "angle"),
        (lambda: F.rotate(X4, math.inf), ValueError, "angle"),
        (lambda: F.rotate(X4, 10.0, (1.0,)), TypeError, "center"),
        (lambda: F.rotate(lucid.Tensor(np.zeros(3)), 10.0), ValueError, "input_"),
    ],
)  # fmt: skip
def test_grid_and_rotate_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ---- rotate and Upsample ------------------------------------------------------------


def ref_rotate(x, angle, center=None):
    """Each output pixel's centre turned back by the angle (counter-clockwise on the
    screen, y down) about the centre; the nearest source pixel, 0 outside."""
    height, width = x.shape[-2:]
    cx, cy = (width / 2, height / 2) if center is None else center
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    out = np.zeros_like(x)
    for i in range(height):
        for j in range(width):
            dx, dy = j + 0.5 - cx, i + 0.5 - cy
            sx = round(cos * dx - sin * dy + cx - 0.5)
            sy = round(sin * dx + cos * dy + cy - 0.5)
            if 0 <= sx < width and 0 <= sy < height:
                out[..., i, j] = x[..., sy, sx]
    return out


def test_rotate_by_right_angles_is_rot90():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    for k in range(-2, 5):
        got = F.rotate(lucid.Tensor(x), 90.0 * k)
        np.testing.assert_array_equal(got.data, np.rot90(x, k, axes=(2, 3)))
    y = np.random.default_rng(1).standard_normal((1, 1, 3, 5))
    np.testing.assert_array_equal(F.rotate(lucid.Tensor(y), 180).data, y[..., ::-1, ::-1])


@pytest.mark.parametrize("angle, center", [(30.0, None), (-45.0, None), (60, (1.0, 2.5))])
def test_rotate_matches_the_loop_and_sends_gradients_back(angle, center):
    x = np.random.default_rng(2).standard_normal((2, 1, 5, 6))
    got = F.rotate(lucid.Tensor(x), angle, center)
    np.testing.assert_array_equal(got.data, ref_rotate(x, angle, center))
    check_op(
        lambda t: F.rotate(t, angle, center),
        (1, 2, 4, 5),
        ref=lambda a: ref_rotate(a, angle, center),
    )


def test_rotate_takes_any_leading_axes_and_keeps_float32():
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    got = F.rotate(lucid.Tensor(x), 20.0)
    assert got.dtype == np.float32 and got.shape == (3, 4)
    np.testing.assert_array_equal(got.data, ref_rotate(x, 20.0))


def test_upsample_by_size_or_scale_factor():
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    up = nn.Upsample(scale_factor=2)
    assert repr(up) == "Upsample(size=None, scale_factor=2, mode=nearest, align_corners=False)"
    np.testing.assert_array_equal(up(lucid.Tensor(x)).data, x.repeat(2, axis=2).repeat(2, axis=3))
    bilinear = nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True)
    expected = ref_interpolate(x, (5, 7), "linear", True)
    np.testing.assert_allclose(bilinear(lucid.Tensor(x)).data, expected, rtol=1e-12)
    odd = nn.Upsample(scale_factor=(1.5, 0.5), mode="area")
    assert odd(lucid.Tensor(x)).shape == (1, 2, 4, 2)  # floor(3 · 1.5), floor(4 · 0.5)
    line = nn.Upsample(scale_factor=3, mode="linear")(lucid.Tensor(x[:, :, 0]))
    np.testing.assert_allclose(line.data, ref_interpolate(x[:, :, 0], 12, "linear"), rtol=1e-12)
    assert list(up.parameters()) == []


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: nn.Upsample(), ValueError, "size"),
        (lambda: nn.Upsample(size=2, scale_factor=2), ValueError, "not both"),
        (lambda: nn.Upsample(scale_factor=0), ValueError, "scale_factor"),
        (lambda: nn.Upsample(scale_factor="2"), TypeError, "scale_factor"),
        (lambda: nn.Upsample(scale_factor=(2, 2))(z(1, 1, 4)), ValueError, "scale_factor"),
        (lambda: nn.Upsample(size=3, mode="cubic")(z(1, 1, 4)), ValueError, "mode"),
    ],
)
def test_upsample_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()
