"""lucid.einops (rearrange, reduce, repeat, einsum) and nn.Rearrange: values against
hand-written numpy, gradients against central finite differences, dtypes, caching of
the plans and the errors."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, einops, nn
from lucid.einops import _pattern

RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 6, 4))


# ---- rearrange ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern,sizes,ref",
    [
        ("a b c -> c b a", {}, lambda x: x.transpose(2, 1, 0)),
        ("a b c -> a (b c)", {}, lambda x: x.reshape(2, 24)),
        ("a b c -> (c a) b", {}, lambda x: x.transpose(2, 0, 1).reshape(8, 6)),
        ("a (h w) c -> a h w c", {"h": 2}, lambda x: x.reshape(2, 2, 3, 4)),
        ("a (h w) c -> a h w c", {"w": 2}, lambda x: x.reshape(2, 3, 2, 4)),
        ("a (h w) c -> (a w) h c", {"h": 3, "w": 2},
         lambda x: x.reshape(2, 3, 2, 4).transpose(0, 2, 1, 3).reshape(4, 3, 4)),
        ("... c -> c ...", {}, lambda x: x.transpose(2, 0, 1)),
        ("a ... -> (...) a", {}, lambda x: x.transpose(1, 2, 0).reshape(24, 2)),
        ("a b c -> a 1 b c 1", {}, lambda x: x[:, None, :, :, None]),
        ("a b c -> a b () c", {}, lambda x: x[:, :, None, :]),
    ],
)  # fmt: skip
def test_rearrange_values_and_gradients(pattern, sizes, ref):
    out = einops.rearrange(Tensor(X), pattern, **sizes)
    np.testing.assert_array_equal(out.data, ref(X))
    check_op(lambda t: einops.rearrange(t, pattern, **sizes), X, ref=ref)


def test_rearrange_squeezes_a_unit_axis_and_keeps_dtype():
    x = RNG.standard_normal((3, 1, 2)).astype(np.float32)
    out = einops.rearrange(Tensor(x), "a 1 b -> b a")
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out.data, x[:, 0].T)
    ints = Tensor(np.arange(6).reshape(2, 3))
    assert einops.rearrange(ints, "a b -> b a").dtype == np.int64


def test_a_pattern_is_planned_once_per_shape():
    _pattern.plan.cache_clear()
    for _ in range(3):
        einops.rearrange(Tensor(X), "a b c -> c a b")
    info = _pattern.plan.cache_info()
    assert info.misses == 1 and info.hits == 2


# ---- reduce -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern,reduction,sizes,ref",
    [
        ("a b c -> a", "sum", {}, lambda x: x.sum(axis=(1, 2))),
        ("a b c -> c a", "mean", {}, lambda x: x.mean(axis=1).T),
        ("a (h 2) c -> a h c", "mean", {}, lambda x: x.reshape(2, 3, 2, 4).mean(axis=2)),
        ("a (h w) c -> (a c) w", "sum", {"w": 3},
         lambda x: x.reshape(2, 2, 3, 4).sum(axis=1).transpose(0, 2, 1).reshape(8, 3)),
        ("a b c -> a 1 c", "max", {}, lambda x: x.max(axis=1, keepdims=True)),
        ("a b c -> b", "min", {}, lambda x: x.min(axis=(0, 2))),
        ("... c -> c", "sum", {}, lambda x: x.sum(axis=(0, 1))),
    ],
)  # fmt: skip
def test_reduce_values_and_gradients(pattern, reduction, sizes, ref):
    out = einops.reduce(Tensor(X), pattern, reduction, **sizes)
    np.testing.assert_allclose(out.data, ref(X), rtol=1e-12)
    check_op(lambda t: einops.reduce(t, pattern, reduction=reduction, **sizes), X, ref=ref)


def test_reduce_defaults_to_sum_and_without_reduced_axes_rearranges():
    np.testing.assert_allclose(einops.reduce(Tensor(X), "a b c -> b").data, X.sum(axis=(0, 2)))
    out = einops.reduce(Tensor(X), "a b c -> c b a", "mean")
    np.testing.assert_array_equal(out.data, X.transpose(2, 1, 0))


# ---- repeat -------------------------------------------------------------------------

Y = RNG.standard_normal((2, 3))


@pytest.mark.parametrize(
    "pattern,sizes,ref",
    [
        ("h w -> h w c", {"c": 2}, lambda y: np.repeat(y[:, :, None], 2, axis=2)),
        ("h w -> c h w", {"c": 2}, lambda y: np.broadcast_to(y, (2, 2, 3))),
        ("h w -> h (w c)", {"c": 2}, lambda y: np.repeat(y, 2, axis=1)),
        ("h w -> (c h) w", {"c": 2}, lambda y: np.tile(y, (2, 1))),
        ("h w -> (h 2) (3 w)", {}, lambda y: np.tile(np.repeat(y, 2, axis=0), (1, 3))),
        ("h w -> w 1 h", {}, lambda y: y.T[:, None, :]),
        ("... w -> ... w c", {"c": 3}, lambda y: np.repeat(y[..., None], 3, axis=-1)),
    ],
)
def test_repeat_values_and_gradients(pattern, sizes, ref):
    out = einops.repeat(Tensor(Y), pattern, **sizes)
    np.testing.assert_array_equal(out.data, ref(Y))
    check_op(lambda t: einops.repeat(t, pattern, **sizes), Y, ref=ref)


# ---- einsum -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("ij->", [(2, 3)]),
        ("ij->ji", [(2, 3)]),
        ("i,j->ij", [(3,), (2,)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ij,ij->i", [(2, 3), (1, 3)]),
        ("...ij,jk->...ik", [(2, 2, 3), (3, 2)]),
        ("ij,jk", [(2, 3), (3, 2)]),
        ("ijk,k->i", [(2, 3, 2), (2,)]),
        ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ],
)
def test_einsum_matches_numpy_with_gradients(pattern, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    out = einops.einsum(pattern, *(Tensor(a) for a in arrays))
    np.testing.assert_allclose(out.data, np.einsum(pattern, *arrays), rtol=1e-12)
    check_op(
        lambda *ts: einops.einsum(pattern, *ts), *arrays, ref=lambda *a: np.einsum(pattern, *a)
    )


def test_einsum_dtype_and_errors():
    a32 = Tensor(np.ones((2, 3), dtype=np.float32))
    assert einops.einsum("ij->j", a32).dtype == np.float32
    assert einops.einsum("ij,j->i", a32, Tensor(np.ones(3))).dtype == np.float64
    with pytest.raises(ValueError, match="has 2 operands, got 1"):
        einops.einsum("ij,jk->ik", a32)
    with pytest.raises(ValueError, match="has 2 dimensions"):
        einops.einsum("ijk->i", a32)
    with pytest.raises(ValueError, match="einsum:"):
        einops.einsum("ij,ij->i", a32, Tensor(np.ones((2, 4))))
    with pytest.raises(TypeError, match="operand 0 must be a lucid Tensor"):
        einops.einsum("ij->i", np.ones((2, 3)))


# ---- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,error,text",
    [
        (lambda: einops.rearrange(Tensor(X), "a b -> b a"), ValueError, "3 dimensions"),
        (lambda: einops.rearrange(Tensor(X), "a b c"), ValueError, "one '->'"),
        (lambda: einops.rearrange(Tensor(X), "a b c -> a b d"), ValueError, "same axes"),
        (lambda: einops.rearrange(Tensor(X), "a b c -> a b"), ValueError, "same axes"),
        (lambda: einops.rearrange(Tensor(X), "a a c -> a c"), ValueError, "appears twice"),
        (lambda: einops.rearrange(Tensor(X), "a (b c -> a b c"), ValueError, "parenthes"),
        (lambda: einops.rearrange(Tensor(X), "a (b d) c -> a b d c"), ValueError, "all but one"),
        (lambda: einops.rearrange(Tensor(X), "a (b d) c -> a b d c", b=4), ValueError, "split"),
        (lambda: einops.rearrange(Tensor(X), "a b c -> a b c", b=5), ValueError, "size 5"),
        (lambda: einops.rearrange(Tensor(X), "a b c -> a b c", z=2), ValueError, "'z'"),
        (lambda: einops.rearrange(Tensor(X), "a b c -> c ..."), ValueError, "not the input"),
        (lambda: einops.rearrange(Tensor(X), "... a ... -> a"), ValueError, "twice"),
        (lambda: einops.rearrange(Tensor(X), "a b 2 -> a b"), ValueError, "only 1"),
        (lambda: einops.rearrange(Tensor(X), "a b c! -> a b"), ValueError, "'c!'"),
        (lambda: einops.rearrange(X, "a b c -> c b a"), TypeError, "lucid Tensor"),
        (lambda: einops.rearrange(Tensor(X), 3), TypeError, "pattern must be a str"),
        (lambda: einops.reduce(Tensor(X), "a b c -> a", "prod"), ValueError, "reduction"),
        (lambda: einops.reduce(Tensor(X), "a b c -> a d"), ValueError, "not in its input"),
        (lambda: einops.repeat(Tensor(Y), "h w -> h"), ValueError, "not in its output"),
        (lambda: einops.repeat(Tensor(Y), "h w -> h w c"), ValueError, "new axis 'c'"),
        (lambda: einops.repeat(Tensor(Y), "h w -> h w c", c=0), ValueError, "positive int"),
        (lambda: einops.rearrange(Tensor(X), "a 1 c -> a c"), ValueError, "length 1"),
        (lambda: einops.rearrange(Tensor(X), "a (b 2) c -> a b c"), ValueError, "reduced"),
        (lambda: einops.rearrange(Tensor(X), "a (b ...) -> a b"), ValueError, "group"),
    ],
)
def test_errors_name_the_problem(call, error, text):
    with pytest.raises(error, match=text):
        call()


# ---- nn.Rearrange -------------------------------------------------------------------


def test_rearrange_layer():
    layer = nn.Rearrange("b (h w) c -> b c h w", h=3)
    assert repr(layer) == "Rearrange(pattern=b (h w) c -> b c h w)"
    x = Tensor(X, requires_grad=True)
    out = layer(x)
    np.testing.assert_array_equal(out.data, X.reshape(2, 3, 2, 4).transpose(0, 3, 1, 2))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones_like(X))
    assert list(layer.parameters()) == []
    seq = nn.Sequential(nn.Rearrange("b c h -> b (c h)"))
    assert seq(Tensor(X)).shape == (2, 24)
    with pytest.raises(ValueError, match="one '->'"):
        nn.Rearrange("b c h")


def test_lucid_has_einops():
    assert lucid.einops is einops
    assert sorted(einops.__all__) == ["einsum", "rearrange", "reduce", "repeat"]
