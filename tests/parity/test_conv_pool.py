"""Parity with PyTorch: convolutions, transposed convolutions, pooling and resampling.

Each lucid.nn.functional op and torch.nn.functional's run on the same inputs; the
results and the gradients of the input, the weight and the bias (or the grid, theta)
must agree, in float32 and float64 (see _compare.compare).

lucid keeps lucid 2.x's defaults where they differ from PyTorch's, so every call here
names them: the pools' ``stride`` (lucid: 1, PyTorch: kernel_size), grid_sample's and
affine_grid's ``align_corners`` (lucid: True, PyTorch: False), interpolate's ``mode``
(lucid: "bilinear", PyTorch: "nearest"). The average pools count the padding in the
divisor in both (PyTorch's count_include_pad=True is its default).

Skipped as a whole where PyTorch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _compare import compare, rand  # noqa: E402
from _parity import DTYPES, check_twins, inputs, twins  # noqa: E402

import lucid.nn.functional as F  # noqa: E402
from lucid import nn  # noqa: E402

TF = torch.nn.functional

# ---- convolutions -----------------------------------------------------------------------

# (id, input shape, weight shape, keyword arguments common to both libraries)
CONV_CASES = [
    ("1d", (2, 4, 9), (6, 4, 3), {}),
    ("1d stride padding", (2, 4, 9), (6, 4, 3), {"stride": 2, "padding": 1}),
    ("1d dilation groups", (2, 4, 11), (6, 2, 3), {"dilation": 2, "groups": 2, "padding": 2}),
    ("1d same", (2, 4, 9), (6, 4, 4), {"padding": "same"}),
    ("2d", (2, 3, 6, 5), (4, 3, 3, 2), {}),
    (
        "2d mixed",
        (2, 4, 7, 8),
        (6, 2, 3, 2),
        {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2},
    ),
    ("2d depthwise", (2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "padding": 1}),
    ("3d", (2, 2, 4, 5, 4), (3, 2, 2, 3, 2), {}),
    (
        "3d mixed",
        (1, 4, 5, 6, 5),
        (4, 2, 3, 2, 3),
        {"stride": (2, 1, 2), "padding": 1, "dilation": (1, 2, 1), "groups": 2},
    ),
]
CONV = {1: (F.conv1d, TF.conv1d), 2: (F.conv2d, TF.conv2d), 3: (F.conv3d, TF.conv3d)}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch's note
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_matches_pytorch(case, bias, dtype):
    name, xs, ws, kwargs = case
    lfn, tfn = CONV[len(xs) - 2]
    arrays = [rand(xs, 1), rand(ws, 2)] + ([rand(ws[0], 3)] if bias else [])

    def lucid_call(x, w, b=None):
        return lfn(x, w, b, **kwargs)

    def torch_call(x, w, b=None):
        return tfn(x, w, b, **kwargs)

    compare(lucid_call, torch_call, arrays, dtype, what=name)


# (id, input shape, weight shape (C_in, C_out / groups, *K), keyword arguments). PyTorch's
# positional order puts groups before dilation, so everything goes by keyword.
CONV_T_CASES = [
    ("1d", (2, 4, 6), (4, 3, 3), {}),
    ("1d stride padding", (2, 4, 6), (4, 3, 3), {"stride": 2, "padding": 1}),
    (
        "1d output_padding dilation groups",
        (2, 4, 5),
        (4, 3, 3),
        {"stride": 3, "padding": 1, "output_padding": 1, "dilation": 2, "groups": 2},
    ),
    ("2d", (2, 3, 4, 5), (3, 2, 3, 2), {}),
    (
        "2d mixed",
        (2, 4, 4, 5),
        (4, 3, 3, 2),
        {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2), "groups": 2},
    ),
    ("2d dilation", (1, 2, 4, 4), (2, 3, 2, 3), {"dilation": (2, 1), "stride": 2}),
    ("3d", (1, 2, 3, 4, 3), (2, 3, 2, 2, 3), {}),
    (
        "3d mixed",
        (2, 4, 3, 3, 4),
        (4, 2, 3, 2, 2),
        {"stride": 2, "padding": (1, 0, 1), "output_padding": (1, 0, 1), "groups": 2},
    ),
]
CONV_T = {
    1: (F.conv_transpose1d, TF.conv_transpose1d),
    2: (F.conv_transpose2d, TF.conv_transpose2d),
    3: (F.conv_transpose3d, TF.conv_transpose3d),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("case", CONV_T_CASES, ids=[c[0] for c in CONV_T_CASES])
def test_conv_transpose_matches_pytorch(case, bias, dtype):
    name, xs, ws, kwargs = case
    lfn, tfn = CONV_T[len(xs) - 2]
    groups = kwargs.get("groups", 1)
    arrays = [rand(xs, 1), rand(ws, 2)] + ([rand(ws[1] * groups, 3)] if bias else [])

    def lucid_call(x, w, b=None):
        return lfn(x, w, b, **kwargs)

    def torch_call(x, w, b=None):
        return tfn(x, w, b, **kwargs)

    compare(lucid_call, torch_call, arrays, dtype, what=name)


# ---- pooling ----------------------------------------------------------------------------

# (id, input shape, kernel_size, stride, padding); stride is always given, since the
# defaults differ (lucid 2.x's 1, PyTorch's kernel_size).
POOL_CASES = [
    ("1d", (2, 3, 9), 3, 1, 0),
    ("1d stride padding", (2, 3, 10), 3, 2, 1),
    ("1d kernel=stride", (2, 3, 8), 2, 2, 0),
    ("2d", (2, 3, 6, 7), 2, 1, 0),
    ("2d mixed", (2, 3, 7, 8), (3, 2), (2, 1), (1, 1)),
    ("2d kernel=stride", (1, 2, 6, 6), 3, 3, 0),
    ("3d", (1, 2, 4, 5, 4), 2, 1, 0),
    ("3d mixed", (2, 2, 5, 6, 5), (3, 2, 3), (2, 2, 1), (1, 0, 1)),
]
POOLS = {
    ("max", 1): (F.max_pool1d, TF.max_pool1d),
    ("max", 2): (F.max_pool2d, TF.max_pool2d),
    ("max", 3): (F.max_pool3d, TF.max_pool3d),
    ("avg", 1): (F.avg_pool1d, TF.avg_pool1d),
    ("avg", 2): (F.avg_pool2d, TF.avg_pool2d),
    ("avg", 3): (F.avg_pool3d, TF.avg_pool3d),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool_matches_pytorch(case, kind, dtype):
    name, shape, kernel, stride, padding = case
    lfn, tfn = POOLS[kind, len(shape) - 2]
    compare(
        lambda x: lfn(x, kernel, stride, padding),
        lambda x: tfn(x, kernel, stride, padding),  # count_include_pad=True for avg
        [rand(shape, 4)],
        dtype,
        what=f"{kind} pool {name}",
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_padding_never_wins(dtype):
    """All-negative input: a zero padding would win every edge window; -inf never does."""
    x = -1.0 - np.abs(rand((2, 3, 6, 5), 5))
    compare(
        lambda t: F.max_pool2d(t, 3, 2, 1),
        lambda t: TF.max_pool2d(t, 3, 2, 1),
        [x],
        dtype,
        what="max pool of negative input",
    )


# (id, input shape, output_size); sizes that do not divide the input give overlapping
# windows of different lengths (PyTorch's floor/ceil rule).
ADAPTIVE_CASES = [
    ("1d", (2, 3, 7), 3),
    ("1d up", (2, 3, 4), 6),
    ("2d", (2, 3, 7, 9), (3, 4)),
    ("2d int", (1, 2, 8, 6), 3),
    ("2d None", (1, 2, 5, 7), (2, None)),
    ("2d global", (2, 3, 5, 4), 1),
    ("3d", (1, 2, 5, 6, 7), (2, 3, 4)),
]
ADAPTIVE = {
    ("max", 1): (F.adaptive_max_pool1d, TF.adaptive_max_pool1d),
    ("max", 2): (F.adaptive_max_pool2d, TF.adaptive_max_pool2d),
    ("max", 3): (F.adaptive_max_pool3d, TF.adaptive_max_pool3d),
    ("avg", 1): (F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d),
    ("avg", 2): (F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d),
    ("avg", 3): (F.adaptive_avg_pool3d, TF.adaptive_avg_pool3d),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=[c[0] for c in ADAPTIVE_CASES])
def test_adaptive_pool_matches_pytorch(case, kind, dtype):
    name, shape, size = case
    lfn, tfn = ADAPTIVE[kind, len(shape) - 2]
    compare(
        lambda x: lfn(x, size),
        lambda x: tfn(x, size),
        [rand(shape, 6)],
        dtype,
        what=f"adaptive {kind} pool {name}",
    )


# ---- interpolate --------------------------------------------------------------------------

# (id, input shape, size, mode)
RESIZE_CASES = [
    ("1d up", (2, 3, 5), 8, "linear"),
    ("1d down", (2, 3, 9), 4, "linear"),
    ("2d up", (2, 2, 4, 5), (7, 9), "bilinear"),
    ("2d down", (1, 3, 8, 7), (3, 5), "bilinear"),
    ("2d mixed", (1, 2, 5, 6), (9, 4), "bilinear"),
    ("3d", (1, 2, 3, 4, 5), (5, 3, 7), "trilinear"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("case", RESIZE_CASES, ids=[c[0] for c in RESIZE_CASES])
def test_interpolate_linear_matches_pytorch(case, align_corners, dtype):
    name, shape, size, mode = case
    compare(
        lambda x: F.interpolate(x, size, mode, align_corners),
        lambda x: TF.interpolate(x, size, mode=mode, align_corners=align_corners),
        [rand(shape, 7)],
        dtype,
        what=f"{mode} {name}",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["nearest", "area"])
@pytest.mark.parametrize(
    "shape, size",
    [((2, 3, 5), 8), ((2, 3, 9), 4), ((1, 2, 4, 6), (7, 4)), ((1, 2, 6, 3, 5), (3, 5, 2))],
    ids=["1d up", "1d down", "2d", "3d"],
)
def test_interpolate_nearest_and_area_match_pytorch(shape, size, mode, dtype):
    compare(
        lambda x: F.interpolate(x, size, mode),
        lambda x: TF.interpolate(x, size, mode=mode),  # align_corners=None: not a linear mode
        [rand(shape, 8)],
        dtype,
        what=f"{mode} {shape} -> {size}",
    )


# ---- affine_grid and grid_sample ------------------------------------------------------------


def thetas(n, rank, seed=9):
    """Affine maps near the identity: (n, 2, 3) or (n, 3, 4)."""
    eye = np.eye(rank, rank + 1)
    return eye + 0.3 * rand((n, rank, rank + 1), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2)], ids=["2d", "3d"])
def test_affine_grid_matches_pytorch(size, align_corners, dtype):
    compare(
        lambda t: F.affine_grid(t, size, align_corners),
        lambda t: TF.affine_grid(t, list(size), align_corners=align_corners),
        [thetas(size[0], len(size) - 2)],
        dtype,
        what=f"affine_grid {size}",
    )


def grid(shape, seed=10):
    """Sampling points in [-1.2, 1.2]: some beyond the edges, none on a pixel boundary."""
    return np.random.default_rng(seed).uniform(-1.2, 1.2, shape)


# (id, input shape, grid shape)
SAMPLE_CASES = [
    ("2d", (2, 3, 5, 6), (2, 4, 7, 2)),
    ("3d", (1, 2, 4, 5, 3), (1, 3, 2, 4, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("case", SAMPLE_CASES, ids=[c[0] for c in SAMPLE_CASES])
def test_grid_sample_matches_pytorch(case, mode, padding_mode, align_corners, dtype):
    """The input's gradient always; the grid's in bilinear mode (nearest's is zero)."""
    name, xs, gs = case
    compare(
        lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
        lambda x, g: TF.grid_sample(
            x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners
        ),
        [rand(xs, 11), grid(gs)],
        dtype,
        grads=[True, mode == "bilinear"],
        what=f"grid_sample {name} {mode} {padding_mode}",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_then_grid_sample_matches_pytorch(align_corners, dtype):
    """A spatial transformer: theta's gradient flows through the grid into the sample."""
    size = (2, 3, 5, 4)
    compare(
        lambda x, t: F.grid_sample(
            x, F.affine_grid(t, size, align_corners), "bilinear", "zeros", align_corners
        ),
        lambda x, t: TF.grid_sample(
            x,
            TF.affine_grid(t, list(size), align_corners=align_corners),
            mode="bilinear",
            padding_mode="zeros",
            align_corners=align_corners,
        ),  # fmt: skip
        [rand((2, 3, 6, 7), 12), thetas(2, 2)],
        dtype,
        what="affine_grid + grid_sample",
    )


# ---- the layers, in small networks ----------------------------------------------------------


def cnn(nn_, rank):
    """Convolution, max pool, transposed convolution, upsampling, average and adaptive
    pools of one rank, then a linear head: every layer's parameters and wiring."""
    d = {1: "1d", 2: "2d", 3: "3d"}[rank]
    up = {1: "linear", 2: "bilinear", 3: "trilinear"}[rank]
    return nn_.Sequential(
        getattr(nn_, f"Conv{d}")(2, 4, 3, stride=2, padding=1, dilation=1, groups=2),
        nn_.Tanh(),
        getattr(nn_, f"MaxPool{d}")(2, stride=1, padding=1),
        getattr(nn_, f"ConvTranspose{d}")(4, 4, 3, stride=2, padding=1, output_padding=1),
        nn_.Upsample(scale_factor=2, mode=up, align_corners=False),
        getattr(nn_, f"AvgPool{d}")(3, stride=2, padding=1),
        getattr(nn_, f"AdaptiveMaxPool{d}")(3),
        getattr(nn_, f"AdaptiveAvgPool{d}")(2),
        nn_.Flatten(),
        nn_.Linear(4 * 2**rank, 3),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_pool_network_matches_pytorch(rank, dtype):
    lm, tm = twins(lambda: cnn(nn, rank), lambda: cnn(torch.nn, rank), dtype)
    check_twins(lm, tm, inputs((2, 2) + (7,) * rank), dtype)
