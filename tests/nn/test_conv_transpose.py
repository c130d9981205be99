"""F.conv_transpose1d/2d/3d: values against the direct scatter loop of _conv_refs.py on
every rank with stride, padding, output_padding, dilation and groups; the adjoint
identity with conv; gradients against central finite differences; dtypes; errors."""

import _conv_refs as ref
import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor
from lucid.nn.functional import conv as conv_module

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}

# (input shape, weight shape, stride, padding, output_padding, dilation, groups)
CASES = [
    ((2, 3, 5), (3, 2, 3), 1, 0, 0, 1, 1),
    ((2, 4, 5), (4, 3, 3), 2, 1, 1, 2, 2),
    ((1, 2, 4), (2, 1, 2), 3, 0, 2, 1, 1),
    ((1, 2, 3, 4), (2, 3, 3, 2), (2, 3), (1, 0), (1, 2), 1, 1),
    ((2, 4, 3, 3), (4, 1, 2, 2), 2, 0, 0, 1, 2),
    ((1, 3, 3, 3), (3, 2, 2, 3), (2, 1), 0, 0, (1, 2), 1),
    ((1, 2, 2, 3, 2), (2, 2, 2, 2, 3), (2, 1, 1), (0, 1, 1), 0, (1, 1, 2), 1),
    ((1, 4, 2, 2, 2), (4, 1, 2, 2, 2), 2, 1, 1, 1, 4),
    # padding past d·(k − 1): the output is cropped from both sides.
    ((1, 1, 6), (1, 1, 2), 1, 2, 0, 1, 1),
]


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, s) for s in shapes]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_values_match_the_direct_scatter_loop(case, with_bias):
    x_shape, w_shape, stride, padding, out_pad, dilation, groups = case
    x, w, b = arrays(x_shape, w_shape, (w_shape[1] * groups,))
    b = b if with_bias else None
    fn = CONV_T[len(x_shape) - 2]
    y = fn(
        Tensor(x), Tensor(w), None if b is None else Tensor(b), stride, padding, out_pad,
        dilation, groups,
    )  # fmt: skip
    expected = ref.conv_transpose(x, w, b, stride, padding, out_pad, dilation, groups)
    assert y.shape == expected.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:-1])
def test_it_is_the_adjoint_of_conv(case):
    # <conv(u, w), v> = <u, conv_transpose(v, w)> for every u, v of matching shapes.
    x_shape, w_shape, stride, padding, out_pad, dilation, groups = case
    v, w = arrays(x_shape, w_shape)
    t = CONV_T[len(x_shape) - 2](
        Tensor(v), Tensor(w), None, stride, padding, out_pad, dilation, groups
    )
    (u,) = arrays(t.shape, seed=1)
    c = CONV[len(x_shape) - 2](Tensor(u), Tensor(w), None, stride, padding, dilation, groups)
    assert c.shape == v.shape
    np.testing.assert_allclose((c.data * v).sum(), (u * t.data).sum(), rtol=1e-10)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, out_pad, dilation, groups",
    [
        ((2, 4, 4), (4, 2, 3), 2, 1, 1, 2, 2),
        ((1, 2, 3, 2), (2, 2, 2, 3), (2, 1), (0, 1), (1, 0), (1, 2), 1),
        ((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (1, 2, 1), 0, 0, 1, 2),
    ],
)
def test_gradients_match_finite_differences(
    x_shape, w_shape, stride, padding, out_pad, dilation, groups
):
    fn = CONV_T[len(x_shape) - 2]
    args = (stride, padding, out_pad, dilation, groups)
    check_op(
        lambda x, w, b: fn(x, w, b, *args),
        x_shape,
        w_shape,
        (w_shape[1] * groups,),
        ref=lambda x, w, b: ref.conv_transpose(x, w, b, *args),
    )


def test_gradient_of_a_broadcast_seed_without_bias():
    x, w = (Tensor(a, requires_grad=True) for a in arrays((1, 2, 3, 3), (2, 2, 2, 2)))
    F.conv_transpose2d(x, w, None, 2, 0).sum().backward()
    # Without overlap (stride = kernel) every input element meets every weight once.
    np.testing.assert_allclose(
        x.grad, np.broadcast_to(w.data.sum(axis=(1, 2, 3))[None, :, None, None], x.shape)
    )
    np.testing.assert_allclose(
        w.grad, np.broadcast_to(x.data.sum(axis=(0, 2, 3))[:, None, None, None], w.shape)
    )


def test_dtypes_follow_numpy_promotion():
    x, w = arrays((1, 2, 3, 3), (2, 3, 2, 2))
    single = F.conv_transpose2d(Tensor(x.astype(np.float32)), Tensor(w.astype(np.float32)))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.data, ref.conv_transpose(x, w), rtol=1e-5, atol=1e-6)
    assert F.conv_transpose2d(Tensor(x.astype(np.float32)), Tensor(w)).dtype == np.float64
    xi, wi = np.arange(18).reshape(1, 2, 3, 3), np.arange(24).reshape(2, 3, 2, 2) - 5
    ints = F.conv_transpose2d(Tensor(xi), Tensor(wi), stride=2)
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.data, ref.conv_transpose(xi, wi, None, 2).astype(np.int64))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_": [[1.0]]}, TypeError, "input_ must be a lucid Tensor"),
        ({"input_": Tensor(np.zeros((2, 3, 3)))}, ValueError, "must be 4-D"),
        ({"weight": Tensor(np.zeros((3, 3, 2, 2)))}, ValueError, "must equal input_'s channels"),
        ({"groups": 3}, ValueError, "divisible by groups=3"),
        ({"groups": -1}, ValueError, "groups must be >= 1"),
        ({"bias": Tensor(np.zeros(2))}, ValueError, r"bias must have shape \(3,\)"),
        ({"stride": (2, 0)}, ValueError, "stride must hold ints >= 1"),
        ({"padding": "same"}, TypeError, "padding must be an int or a tuple"),
        ({"output_padding": 1}, ValueError, "output_padding must be smaller than stride"),
        ({"output_padding": -1, "stride": 2}, ValueError, "output_padding must hold ints >= 0"),
        ({"padding": 3}, ValueError, "leaves no output"),
        ({"weight": Tensor(np.zeros((2, 3, 2, 0)))}, ValueError, "kernel must not be empty"),
        ({"dilation": (1, 2, 3)}, ValueError, "dilation must be an int or 2 ints"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    args = {
        "input_": Tensor(np.zeros((1, 2, 3, 3))),
        "weight": Tensor(np.zeros((2, 3, 2, 2))),
        "bias": None,
    }
    args.update(kwargs)
    with pytest.raises(error, match=match):
        F.conv_transpose2d(**args)


# ---- what backward reads is declared (lucid.autograd.versions) ----------------------


def _write(t):
    with lucid.no_grad():
        t += 0.25


@pytest.mark.parametrize(
    "op, name, shapes",
    [
        (lambda x, w: F.conv1d(x, w), "_Conv", ((1, 2, 5), (3, 2, 2))),
        (lambda x, w: F.conv1d(x, w, None, 1, 1), "_Conv", ((1, 2, 5), (3, 2, 2))),
        (lambda x, w: F.conv_transpose1d(x, w, None, 2), "_ConvTranspose", ((1, 2, 4), (2, 3, 2))),
    ],
)
@pytest.mark.parametrize("written", [0, 1])
def test_writing_a_saved_input_makes_backward_raise(op, name, shapes, written):
    # Each input is read for the other's gradient (x for w's, w for x's).
    tensors = [Tensor(a, requires_grad=True) for a in arrays(*shapes)]
    y = op(*tensors)
    assert type(y._ctx).__name__ == name
    _write(tensors[written])
    with pytest.raises(RuntimeError, match=f"input {written} of {name} .* is at version 1"):
        y.sum().backward()


def test_unfold_saves_nothing():
    grads = []
    for written in (False, True):
        (a,) = arrays((1, 2, 4, 4))
        x = Tensor(a, requires_grad=True)
        g = Tensor(np.arange(9 * 8, dtype=np.float64).reshape(9, 8))
        y = F.unfold(x, 2, 1, 0, 1)
        if written:
            _write(x)
        (y * g).sum().backward()
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert not conv_module._Unfold.saved_inputs and not conv_module._Unfold.saved_output
