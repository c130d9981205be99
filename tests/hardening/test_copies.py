"""Tensors, Parameters, Generators and Masks under copy.copy, copy.deepcopy and pickle.

The matrix is object kind × copy method (protocols 2 to 5, and 5 with the buffers out
of band). Laws: the copy has the same bits, dtype, shape, type, requires_grad,
keep_grad and grad; its values and grad live in Rust storage; every op works on it;
writes into the copy and the original do not show in each other; the same object
reached twice stays one object. A copy is a leaf (the graph is not copied). Modules
and optimizers are in test_copies_models.py.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import lucid
from lucid import _C, Tensor, _storage, nn
from lucid._tensor import _rebuild_tensor


def _pickled(protocol):
    return lambda obj: pickle.loads(pickle.dumps(obj, protocol))


def _out_of_band(obj):
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(obj, 5, buffer_callback=buffers.append)
    return pickle.loads(data, buffers=buffers)


METHODS = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    **{f"pickle{p}": _pickled(p) for p in (2, 3, 4, 5)},
    "pickle5-oob": _out_of_band,
}
DEEP = [name for name in METHODS if name != "copy"]


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "i":
        return rng.integers(-(2**40), 2**40, shape)
    return rng.standard_normal(shape).astype(dtype)


def _with_grad(t):
    (t * t).sum().backward()
    return t


# Each builds a fresh object; kinds cover every dtype, 0-d and empty shapes, grads.
TENSORS = {
    "float32": lambda: Tensor(_values((3, 4), np.float32)),
    "float64 with grad": lambda: _with_grad(Tensor(_values((5,), np.float64), requires_grad=True)),
    "float32 keep_grad": lambda: Tensor(_values((2, 3), np.float32), keep_grad=True),
    "int64": lambda: Tensor(_values((4, 2), np.int64)),
    "bool": lambda: Tensor(_values((7,), np.bool_)),
    "0-d": lambda: Tensor(np.float32(2.5), requires_grad=True),
    "empty": lambda: Tensor(np.zeros((0, 3), np.float32), requires_grad=True),
    "parameter": lambda: nn.Parameter(Tensor(_values((3, 3), np.float32))),
    "parameter with grad": lambda: _with_grad(nn.Parameter(Tensor(_values((4,), np.float32)))),
    "frozen parameter": lambda: _frozen(nn.Parameter(Tensor(_values((2,), np.float64)))),
}


def _frozen(p):
    p.requires_grad = False
    return p


def _bits(array):
    array = np.asarray(array)
    return array.dtype.str, array.shape, array.tobytes()


def check_same(original, copied):
    """Every law of a copy of one tensor that does not need a write."""
    assert copied is not original
    assert type(copied) is type(original)
    assert _bits(copied.data) == _bits(original.data)
    assert (copied.requires_grad, copied.keep_grad) == (original.requires_grad, original.keep_grad)
    assert copied.is_leaf
    assert _storage.is_storage_view(copied.data)
    if original.grad is None:
        assert copied.grad is None
    else:
        assert isinstance(copied.grad, np.ndarray)
        assert _storage.is_storage_view(copied.grad)
        assert _bits(copied.grad) == _bits(original.grad)
        assert not np.shares_memory(copied.grad, original.grad)
    assert not np.shares_memory(copied.data, original.data)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", TENSORS)
def test_a_copy_has_the_same_bits_flags_and_type(kind, method):
    original = TENSORS[kind]()
    check_same(original, METHODS[method](original))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", TENSORS)
def test_every_op_works_on_a_copy(kind, method):
    original = TENSORS[kind]()
    copied = METHODS[method](original)
    assert _bits(copied.detach().data) == _bits(original.data)
    assert copied.reshape(-1).shape == (original.size,)
    assert _bits(copied.sum().data) == _bits(original.sum().data)
    assert _storage.is_storage_view(copied.detach().data)
    if copied.dtype.kind == "f":
        assert _bits((copied * 2 + 1).data) == _bits((original * 2 + 1).data)
    if copied.requires_grad:
        before = None if copied.grad is None else copied.grad.copy()
        (copied * 3).sum().backward()
        expected = np.full(copied.shape, 3, copied.dtype) + (0 if before is None else before)
        assert _bits(copied.grad) == _bits(expected)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", [k for k in TENSORS if TENSORS[k]().size])
def test_writes_do_not_cross_between_copy_and_original(kind, method):
    original = TENSORS[kind]()
    copied = METHODS[method](original)
    before = _bits(original.data)
    copied.data.reshape(-1)[0] = not copied.data.reshape(-1)[0]
    assert _bits(original.data) == before
    written = _bits(copied.data)
    original.data.reshape(-1)[0] = 1
    assert _bits(copied.data) == written
    if original.grad is not None:
        grad_before = _bits(original.grad)
        copied.grad += 1
        assert _bits(original.grad) == grad_before


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("made_by", "slope"), [(lambda x: x * 2, 2), (lambda x: x.reshape(3, 1), 1)]
)
def test_a_non_leaf_copies_to_a_leaf_that_requires_grad(made_by, slope, method):
    x = Tensor(_values((3,), np.float32), requires_grad=True)
    y = made_by(x)
    copied = METHODS[method](y)
    assert not y.is_leaf and copied.is_leaf and copied.requires_grad
    assert _bits(copied.data) == _bits(y.data) and not np.shares_memory(copied.data, x.data)
    (copied * copied).sum().backward()
    assert _bits(copied.grad) == _bits(2 * y.data)
    assert x.grad is None  # the copy has no way back to x
    y.sum().backward()
    assert _bits(x.grad) == _bits(np.full(3, slope, np.float32))


@pytest.mark.parametrize("method", METHODS)
def test_attributes_set_on_a_tensor_are_kept(method):
    t = nn.Parameter(Tensor([1.0, 2.0]))
    t.tag = ["weight", 1]
    copied = METHODS[method](t)
    assert copied.tag == ["weight", 1]
    assert (copied.tag is t.tag) == (method == "copy")  # shared only by a shallow copy


@pytest.mark.parametrize("method", DEEP)
def test_the_same_tensor_twice_stays_one_tensor(method):
    t = nn.Parameter(Tensor(_values((2, 2), np.float32)))
    other = Tensor([1.0])
    a, b, nested, c = METHODS[method]([t, t, {"w": t}, other])
    assert a is b is nested["w"] and a is not t
    assert isinstance(a, nn.Parameter) and c is not a
    check_same(t, a)


@pytest.mark.parametrize("method", DEEP)
def test_a_tensor_and_its_detached_view_become_two_storages(method):
    t = Tensor(_values((4,), np.float32))
    a, b = METHODS[method]([t, t.detach()])
    a.data[0] = 100
    assert b.data[0] == t.data[0]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_names_no_numpy_internals_and_holds_the_bytes_once(protocol):
    t = _with_grad(Tensor(_values((64, 64), np.float32), requires_grad=True))
    data = pickle.dumps(t, protocol)
    assert b"numpy" not in data
    assert 2 * t.data.nbytes <= len(data) < 2 * t.data.nbytes * (1.1 if protocol > 2 else 2.1)


def test_protocol_5_sends_data_and_grad_out_of_band_and_copies_them():
    t = _with_grad(nn.Parameter(Tensor(_values((100, 10), np.float32))))
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(t, 5, buffer_callback=buffers.append)
    assert len(buffers) == 2 and len(data) < 500
    raw = [bytearray(b.raw()) for b in buffers]
    copied = pickle.loads(data, buffers=raw)
    check_same(t, copied)
    raw[0][:] = bytes(len(raw[0]))  # the copy owns its values, not the buffer
    assert _bits(copied.data) == _bits(t.data)


def test_a_pickle_from_another_byte_order_loads_as_native_values():
    values = _values((3,), np.float64)
    t = _rebuild_tensor(Tensor, values.astype(">f8").tobytes(), ">f8", (3,), False, False, None)
    assert t.dtype == np.float64 and _bits(t.data) == _bits(values)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((b"\0" * 7, "<f4", (2,), False, False, None), ValueError, ["data", "7 bytes", "8"]),
        ((b"\0" * 4, "<f4", (1,), False, False, (b"", "<f4", (1,))), ValueError, ["grad"]),
        ((b"\0" * 2, "<f2", (1,), False, False, None), TypeError, ["float16"]),
    ],
)
def test_a_damaged_pickle_is_an_error_naming_what_is_wrong(args, error, words):
    with pytest.raises(error) as info:
        _rebuild_tensor(Tensor, *args)
    assert all(w in str(info.value) for w in words)


def test_copy_copy_of_a_tensor_has_storage_of_its_own_as_a_list_copy_has_slots():
    t = Tensor([1.0, 2.0])
    shallow, listed = copy.copy(t), copy.copy([1.0, 2.0])
    shallow.data[0] = listed[0] = 5.0
    assert t.data[0] == 1.0
    assert t.detach().data is t.data  # detach() is the spelling for shared storage


# ---- Generator and Mask (their __reduce__ is in Rust) --------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_a_copied_generator_continues_with_the_originals_next_words(method):
    g = lucid.random.Generator(20260101, stream=3)
    lucid.random.rand(17, generator=g)  # an odd offset, mid-block
    copied = METHODS[method](g)
    assert type(copied) is _C.Generator and copied is not g
    assert copied.get_state() == g.get_state()
    ours = lucid.random.rand(1000, generator=copied, dtype=np.float64).data
    theirs = lucid.random.rand(1000, generator=g, dtype=np.float64).data
    assert ours.tobytes() == theirs.tobytes()
    replay = lucid.random.Generator(0)
    replay.set_state(copied.get_state())
    state = g.get_state()
    lucid.random.randn(5, generator=copied)  # independent afterwards, both ways
    assert g.get_state() == state
    lucid.random.rand(9, generator=g)
    lucid.random.randn(5, generator=replay)
    assert copied.get_state() == replay.get_state()
    ours, theirs = (lucid.random.rand(50, generator=x).data for x in (copied, replay))
    assert ours.tobytes() == theirs.tobytes()


def _mask(kind):
    return _C.dropout_mask(1000, 0.3, lucid.random.Generator(5), kind)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["standard", "alpha"])
def test_a_copied_mask_has_the_same_bits_and_coefficients(kind, method):
    mask = _mask(kind)
    copied = METHODS[method](mask)
    assert type(copied) is _C.Mask
    laws = ("a", "b", "dropped", "nbytes")
    assert [getattr(copied, k) for k in laws] == [getattr(mask, k) for k in laws]
    assert (len(copied), copied.count_ones()) == (len(mask), mask.count_ones())
    ours, theirs = np.asarray(copied.to_storage("float64")), np.asarray(mask.to_storage("float64"))
    assert ours.tobytes() == theirs.tobytes()
    dy = _storage.copy_of(_values((1000,), np.float32))
    ours = np.asarray(_C.dropout_backward(dy, copied))
    assert ours.tobytes() == np.asarray(_C.dropout_backward(dy, mask)).tobytes()


@pytest.mark.parametrize("shape", [(2**32, 2**32), (2**62, 4), (3, 2**62)])
def test_a_forged_pickle_shape_is_refused_by_its_exact_byte_count(shape):
    # int64 products of these shapes wrap (to 0 for the first), which would read as empty.
    needed = 4 * shape[0] * shape[1]
    with pytest.raises(ValueError, match=f"data has 0 bytes, shape .* needs {needed}"):
        _rebuild_tensor(Tensor, b"", "<f4", shape, False, False, None)
