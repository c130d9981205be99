"""The public Python API given bad and odd inputs: the dropout family (functions and
modules, including their generator argument) and Tensor construction.

A bad argument is a ValueError or TypeError whose message names the argument and its
value. An odd but valid input (empty, 0-d or 8-D shapes, numpy views of every layout,
NaN and ±inf values) gives the documented result, checked exactly: every dropout
draws its mask as ``lucid._C.dropout_mask`` does for the mask's element count, so
with the same generator state kept y = A·x + B, dropped y = the dropped value,
∂L/∂x = A·mask (NaN stays NaN where kept), and a view gives what a contiguous copy
gives. Generators are in test_bad_generator_inputs.py, the raw lucid._C functions in
test_bad_native_inputs.py.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _C, Tensor, _storage, nn
from lucid.random import Generator


def alpha_with_noise(x, p, **kw):
    """alpha_dropout with a mask shared along the last axis (Keras' noise_shape)."""
    shape = getattr(x, "shape", ())
    return F.alpha_dropout(x, p, noise_shape=shape[:-1] + (1,) if shape else (), **kw)


ENTRIES = {  # name: (function, module class or None)
    "dropout": (F.dropout, nn.Dropout),
    "dropout1d": (F.dropout1d, nn.Dropout1d),
    "dropout2d": (F.dropout2d, nn.Dropout2d),
    "dropout3d": (F.dropout3d, nn.Dropout3d),
    "alpha_dropout": (F.alpha_dropout, nn.AlphaDropout),
    "alpha_dropout_noise": (alpha_with_noise, None),
    "feature_alpha_dropout": (F.feature_alpha_dropout, nn.FeatureAlphaDropout),
}
SPATIAL = {"dropout1d": 1, "dropout2d": 2, "dropout3d": 3}
FITS = {"dropout1d": (2, 4), "dropout2d": (2, 3, 5), "dropout3d": (2, 3, 2, 5)}  # valid shapes


def fitting_shape(name):
    return FITS.get(name, (2, 3, 5))


def noise_shape(name, shape):
    """The mask's shape, as the README's table gives it."""
    if name in ("dropout", "alpha_dropout"):
        return shape
    if name == "alpha_dropout_noise":
        return shape[:-1] + (1,) if shape else ()
    lead = 2 if name == "feature_alpha_dropout" else len(shape) - SPATIAL[name]
    return shape[:lead] + (1,) * (len(shape) - lead)


def expected(name, x, p, seed):
    """(y, ∂sum(y)/∂x, keep) from the law, with the mask drawn from Generator(seed)."""
    noise = noise_shape(name, x.shape)
    kind = "alpha" if "alpha" in name else "standard"
    mask = _C.dropout_mask(math.prod(noise), p, _C.Generator(seed), kind)
    keep = np.frombuffer(mask.to_storage("bool"), np.bool_).reshape(noise)
    t = x.dtype.type
    y = np.where(keep, x * t(mask.a) + t(mask.b), t(mask.dropped))
    return y, np.broadcast_to(np.where(keep, t(mask.a), t(0)), x.shape), keep


def with_specials(shape, dtype=np.float32, seed=0):
    """Normal values with NaN, +inf and -inf spread through them."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x.flat[::5], x.flat[1::7], x.flat[2::11] = np.nan, np.inf, -np.inf
    return x


BAD_P = [
    (-0.1, ValueError, "-0.1"),
    (1.0000001, ValueError, "1.0000001"),
    (math.nan, ValueError, "nan"),
    (math.inf, ValueError, "inf"),
    (-math.inf, ValueError, "-inf"),
    (10**400, ValueError, str(10**400)),
    ("0.5", TypeError, "str '0.5'"),
    (None, TypeError, "NoneType None"),
    (True, TypeError, "bool True"),
    (np.array(0.5), TypeError, "ndarray array(0.5)"),
]


def p_message(error, shown):
    what = "a probability in [0, 1]" if error is ValueError else "a number in [0, 1]"
    return re.escape(f"p must be {what}, got {shown}")


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize(("p", "error", "shown"), BAD_P, ids=[repr(p)[:12] for p, *_ in BAD_P])
def test_bad_p_is_refused_by_every_entry_point(name, p, error, shown):
    """Functions, module constructors and modules whose p was changed later all refuse it."""
    fn, module = ENTRIES[name]
    x = Tensor(np.zeros(fitting_shape(name), np.float32))
    with pytest.raises(error, match=p_message(error, shown)):
        fn(x, p)
    if module is not None:
        with pytest.raises(error, match=p_message(error, shown)):
            module(p)
        layer = module(0.5)
        layer.p = p
        with pytest.raises(error, match=p_message(error, shown)):
            layer(x)


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("p", [np.float64(0.25), Fraction(1, 4), np.float32(0.25)])
def test_p_of_another_number_type_acts_as_its_float(name, p):
    """A numpy or Fraction p gives exactly what the float p gives."""
    fn, _ = ENTRIES[name]
    x = Tensor(with_specials(fitting_shape(name)))
    want = fn(x, 0.25, generator=Generator(4)).data
    np.testing.assert_array_equal(fn(x, p, generator=Generator(4)).data, want)


SHAPES = [(0,), (3, 0, 2), (), (1, 2, 1, 2, 1, 2, 1, 2), (4, 6), (2, 3, 5), (2, 3, 4, 5)]
SHAPES += [(2, 3, 2, 4, 5)]


def accepts(name, ndim):
    if name in SPATIAL:
        return ndim in (SPATIAL[name] + 1, SPATIAL[name] + 2)
    return ndim >= 2 if name == "feature_alpha_dropout" else True


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_odd_shapes_and_special_values_follow_the_law(name, shape, dtype):
    """Empty, 0-d and 8-D inputs and NaN/±inf values: the law, or a ValueError naming the
    shape when the member takes no input of that rank."""
    fn, module = ENTRIES[name]
    x = Tensor(with_specials(shape, dtype), requires_grad=True)
    if not accepts(name, len(shape)):
        with pytest.raises(ValueError, match=re.escape(f"got shape {shape}")):
            fn(x, 0.5, generator=Generator(7))
        return
    y = fn(x, 0.5, generator=Generator(7))
    want, grad, keep = expected(name, x.data, 0.5, 7)
    assert (y.shape, y.dtype) == (shape, np.dtype(dtype))
    np.testing.assert_array_equal(y.data, want)  # NaN where kept NaN, the dropped value else
    y.backward()
    np.testing.assert_array_equal(x.grad, grad)
    if keep.size >= 6:  # the law was tested on kept and on dropped elements
        assert keep.any() and not keep.all()
    if module is not None:
        layer = module(0.5, generator=Generator(7))
        np.testing.assert_array_equal(layer(x).data, want)
        np.testing.assert_array_equal(layer.mask.data, keep.astype(dtype))


@pytest.mark.parametrize(
    ("name", "shape"),
    [(n, s) for n in ENTRIES for s in [(0,), (), (3, 0, 2), (2, 3, 4, 5)] if accepts(n, len(s))],
)
def test_eval_and_p_zero_return_the_input_itself(name, shape):
    """Eval mode and p = 0 are the identity for any shape and values, without drawing."""
    fn, _ = ENTRIES[name]
    x = Tensor(with_specials(shape))
    g = Generator(1)
    assert fn(x, 0.5, training=False, generator=g) is x
    assert fn(x, 0.0, generator=g) is x
    assert g.offset == 0


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_tensors_are_type_errors_naming_the_dtype(name, dtype):
    fn, module = ENTRIES[name]
    x = Tensor(np.ones(fitting_shape(name), dtype))
    message = re.escape(f"input_ must be a float32 or float64 tensor, got dtype {np.dtype(dtype)}")
    with pytest.raises(TypeError, match=message):
        fn(x, 0.5, training=True)
    if module is not None:
        with pytest.raises(TypeError, match=message):
            module(0.5).train()(x)


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
@pytest.mark.parametrize("mode", ["eval", "p=0"])
def test_integer_and_bool_tensors_pass_through_eval_mode_and_p_zero(name, dtype, mode):
    """Eval mode and p = 0 come first (as lucid's): the tensor itself comes back."""
    fn, module = ENTRIES[name]
    x = Tensor(np.ones(fitting_shape(name), dtype))
    p, training = (0.0, True) if mode == "p=0" else (0.5, False)
    assert fn(x, p, training=training) is x
    if module is not None:
        assert module(p).train(training)(x) is x


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize(
    "bad", [np.zeros((2, 3, 5)), [[0.0]], 1.5], ids=["ndarray", "list", "float"]
)
def test_non_tensors_are_type_errors_naming_input(name, bad):
    with pytest.raises(TypeError, match=f"input_ must be a lucid Tensor, got {type(bad).__name__}"):
        ENTRIES[name][0](bad, 0.5)


BASE = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5) / 7 - 8


def misaligned(a):
    """A copy of ``a`` whose memory starts one byte off its dtype's alignment."""
    raw = np.frombuffer(bytearray(a.nbytes + 1), np.uint8)[1:]
    out = raw.view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


LAYOUTS = {  # name: (array, dtype the tensor takes)
    "transposed": (BASE.transpose(3, 1, 2, 0), np.float32),
    "stepped": (BASE[:, ::2, ::3], np.float32),
    "negative-strides": (BASE[::-1, :, ::-2], np.float32),
    "read-only": (read_only(BASE), np.float32),
    "fortran": (np.asfortranarray(BASE), np.float32),
    "misaligned": (misaligned(BASE), np.float32),
    "big-endian-f4": (BASE.astype(">f4"), np.float32),
    "big-endian-f8": (BASE.astype(">f8"), np.float64),
    "broadcast": (np.broadcast_to(BASE[:, :1], BASE.shape), np.float32),
    "specials": (with_specials(BASE.shape, np.float64), np.float64),
    "0-d": (np.array(2.5), np.float64),
    "empty": (np.zeros((3, 0, 2), np.float32), np.float32),
    "8-D": (np.ones((1, 2, 1, 2, 1, 2, 1, 2), np.float32), np.float32),
    "int64": (np.arange(-3, 3), np.int64),
    "int32": (np.arange(-3, 3, dtype=np.int32), np.int64),
    "uint64": (np.array([0, 2**63 - 1], np.uint64), np.int64),
    "bool": (np.array([[True, False]]), np.bool_),
    "float16": (np.array([0.5, np.inf], np.float16), np.float32),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("make", [Tensor, lucid.tensor])
def test_tensors_copy_numpy_arrays_of_every_layout(layout, make):
    """The tensor holds the array's values, C-contiguous in its own writable storage."""
    src, dtype = LAYOUTS[layout]
    before = src.copy()
    t = make(src)
    assert (t.dtype, t.shape) == (np.dtype(dtype), src.shape)
    np.testing.assert_array_equal(t.data, src.astype(dtype))
    assert t.data.flags.c_contiguous and t.data.flags.writeable
    assert _storage.is_storage_view(t.data) and not np.shares_memory(t.data, src)
    if t.size:
        t.data.flat[0] = 1  # the source does not change
    np.testing.assert_array_equal(src, before)
    np.testing.assert_array_equal(make(src, dtype=np.float64).data, src.astype(np.float64))


@pytest.mark.parametrize("layout", [k for k, (a, dt) in LAYOUTS.items() if a.ndim == 4])
@pytest.mark.parametrize("name", ["dropout", "dropout2d", "alpha_dropout_noise"])
def test_dropout_of_a_view_equals_dropout_of_a_contiguous_copy(layout, name):
    fn = ENTRIES[name][0]
    view = LAYOUTS[layout][0]
    got = fn(Tensor(view), 0.5, generator=Generator(2)).data
    want = fn(Tensor(np.ascontiguousarray(view)), 0.5, generator=Generator(2)).data
    np.testing.assert_array_equal(got, want)


VIEWS = {  # a lucid view and the numpy one it matches
    "T": (lambda t: t.T, lambda a: a.T),
    "stepped": (lambda t: t[:, ::2], lambda a: a[:, ::2]),
    "reversed": (lambda t: t[::-1, :, ::-1], lambda a: a[::-1, :, ::-1]),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_alpha_dropout"])
def test_dropout_of_a_tensor_view_passes_the_gradient_back_through_it(view, name):
    """Dropout of x.T, x[:, ::2] or x[::-1, :, ::-1]: the law on the view's values, and
    the gradient lands on the elements of x the view picked."""
    fn, (lucid_view, numpy_view) = ENTRIES[name][0], VIEWS[view]
    x = Tensor(with_specials((4, 6, 3)), requires_grad=True)
    y = fn(lucid_view(x), 0.5, generator=Generator(9))
    want, grad, _ = expected(name, np.ascontiguousarray(numpy_view(x.data)), 0.5, 9)
    np.testing.assert_array_equal(y.data, want)
    y.backward()
    full = np.zeros_like(x.data)
    numpy_view(full)[...] = grad
    np.testing.assert_array_equal(x.grad, full)


NOT_REAL = "data must hold real numbers or bools; got ndarray of dtype "
TOO_BIG = "data must fit int64, got uint64 value 9223372036854775808 > 2**63 - 1"


@pytest.mark.parametrize(
    ("data", "dtype", "error", "message"),
    [
        (np.array([2**63], np.uint64), None, ValueError, TOO_BIG),
        ([2**63], np.int64, ValueError, TOO_BIG),
        (np.ones(2, np.complex64), None, TypeError, NOT_REAL + "complex64"),
        (np.array(["a"]), None, TypeError, NOT_REAL + "<U1"),
        (np.zeros(2, "datetime64[D]"), None, TypeError, NOT_REAL + "datetime64[D]"),
        (np.zeros(1, [("a", "f4")]), None, TypeError, NOT_REAL + "[('a', '<f4')]"),
        ([[1.0], [1.0, 2.0]], None, ValueError, "data must be rectangular"),
    ],
    ids=["uint64", "list-uint64", "complex", "str", "datetime", "struct", "ragged"],
)
def test_data_a_tensor_cannot_hold_is_refused_naming_data(data, dtype, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Tensor(data, dtype=dtype)


def test_assigning_unsigned_values_beyond_int64_is_refused():
    t = Tensor(np.zeros(2, np.int64))
    with pytest.raises(
        ValueError, match="data must fit int64, got uint64 value 18446744073709551615"
    ):
        t.data = np.array([1, 2**64 - 1], np.uint64)
    np.testing.assert_array_equal(t.data, [0, 0])


@pytest.mark.parametrize("bad", [0, "g", np.random.default_rng(0)], ids=["int", "str", "numpy"])
@pytest.mark.parametrize("name", ENTRIES)
def test_a_generator_of_another_kind_is_a_type_error_naming_it(bad, name):
    fn, module = ENTRIES[name]
    message = f"generator must be a lucid.random.Generator, got {type(bad).__name__}"
    with pytest.raises(TypeError, match=message):
        fn(Tensor(np.zeros(fitting_shape(name), np.float32)), 0.5, generator=bad)
    if module is not None:
        with pytest.raises(TypeError, match=message):
            module(0.5, generator=bad)
