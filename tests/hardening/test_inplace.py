"""In-place writes under autograd, by PyTorch's rules: refused on a leaf that requires
grad (or a reshape of one) in grad mode, recorded on anything else, with gradients
checked exactly or against finite differences. Ops that read a tensor before it was
written keep sending their gradient to its old history.
"""

import re

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import _C, Tensor, nn

# ---- what is refused ------------------------------------------------------------------

WRITES = {
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "__setitem__": lambda t: t.__setitem__(0, 5.0),
    "relu(inplace=True)": lambda t: F.relu(t, inplace=True),
    "selu(inplace=True)": lambda t: F.selu(t, inplace=True),
    "elu(inplace=True)": lambda t: F.elu(t, inplace=True),
    "leaky_relu(inplace=True)": lambda t: F.leaky_relu(t, inplace=True),
    "dropout(inplace=True)": lambda t: F.dropout(t, 0.5, True, True),
    "alpha_dropout(inplace=True)": lambda t: nn.AlphaDropout(0.5, inplace=True)(t),
    "feature_alpha_dropout(inplace=True)": lambda t: F.feature_alpha_dropout(t, 0.5, True, True),
    "Dropout1d(inplace=True)": lambda t: nn.Dropout1d(0.5, inplace=True)(t),
}


@pytest.mark.parametrize("op", WRITES)
def test_a_leaf_that_requires_grad_is_refused_in_grad_mode_and_written_under_no_grad(op):
    x = Tensor(np.full((2, 3), -1.0), requires_grad=True)
    state = lucid.random.get_state()
    message = f"{op}: a leaf Variable that requires grad is being used in an in-place operation"
    with pytest.raises(RuntimeError, match=re.escape(message)):
        WRITES[op](x)
    assert x._version == 0 and (x.data == -1.0).all() and lucid.random.get_state() == state
    with lucid.no_grad():
        WRITES[op](x)
    assert x._version == 1 and x.is_leaf and x._ctx is None and not (x.data == -1.0).all()


def test_a_reshape_of_a_leaf_that_requires_grad_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    v = x.reshape(2, 1)
    with pytest.raises(RuntimeError, match=r"\+=: a view of a leaf Variable that requires grad"):
        v += 1.0
    with lucid.no_grad():
        v += 1.0
    assert x.data.tolist() == [2.0, 3.0] and x._version == 1


def test_a_reshape_made_under_no_grad_of_a_tensor_in_a_graph_cannot_be_written_in_grad_mode():
    a = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    with lucid.no_grad():
        v = a.reshape(2, 1)
    for target in (v, a):
        with pytest.raises(RuntimeError, match="only some of them require grad"):
            target *= 3.0
    with lucid.no_grad():
        v *= 3.0  # both inside no_grad: fine
    assert a.data.tolist() == [6.0, 12.0]


def test_results_that_do_not_fit_are_refused_naming_the_operator_and_the_values():
    a = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\*=: an operand of shape \(4, 3\) does not broadcast"):
        a *= np.ones((4, 3))
    with pytest.raises(ValueError, match=r"\+=: an operand of shape \(2, 2\)"):
        a += np.ones((2, 2))
    b = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match=r"-=: the result would be .* into a bool tensor"):
        b -= 1
    with pytest.raises(TypeError, match="would be complex128"):
        a += 1j
    with pytest.raises(TypeError, match="unsupported operand"):
        a += "x"
    assert a._version == b._version == 0


# ---- in-place operators and __setitem__ on non-leaves: exact and finite-difference gradients


def _operators(x, y, z):
    a = x * 1.0
    a += y
    a *= z  # backward needs a's old values for z's gradient: it gets a copy
    a -= y * 0.5
    a /= z * z + 1.0
    a *= a  # both operands are the target
    return a


def test_in_place_operators_on_a_non_leaf_match_finite_differences():
    check_op(_operators, (2, 3), (2, 3), (2, 3))


def _broadcast(x, b):
    a = x * 1.0
    a += b  # b is summed back over the broadcast axis
    a *= b
    return a


def test_in_place_operators_broadcast_the_operand():
    check_op(_broadcast, (4, 3), (3,))


def _assign(x, v, w):
    a = x * 1.0
    a[1:3] = v  # (2, 3) slice
    a[np.array([0, 3]), 1] = w  # w (1,) broadcast to two elements
    return a * a


def test_setitem_on_a_non_leaf_matches_finite_differences():
    check_op(_assign, (4, 3), (2, 3), (1,))


def test_setitem_of_a_tensor_that_needs_grad_into_one_that_does_not():
    t = lucid.zeros(3, dtype=np.float64)
    v = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    t[1:] = v
    assert not t.is_leaf and t.requires_grad and t._version == 1
    (t * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 3.0])


def test_a_tensor_that_does_not_require_grad_joins_the_graph_through_an_in_place_write():
    t, y = lucid.ones(2), Tensor([3.0, 4.0], requires_grad=True)
    t *= y
    t += 1.0
    assert t.requires_grad and not t.is_leaf and t._version == 2
    t.sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


# ---- earlier consumers keep the old history --------------------------------------------


def test_the_rebase_example_an_op_that_saves_nothing_sends_to_the_old_history():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([5.0, 7.0], requires_grad=True)
    a = x * 1.0
    b = a * 3.0  # saves a number only: a's values are not read by backward
    a += y
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_the_rebase_example_with_an_op_that_saves_the_tensor_is_a_version_error():
    x, y, w = (Tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    a = x * 1.0
    b = a * w  # a's values are saved for w's gradient
    a += y
    with pytest.raises(
        RuntimeError, match=r"Mul: .* input 0 of Mul .* is at version 1; expected version 0"
    ):
        (a + b).sum().backward()


def test_earlier_consumers_get_the_gradient_of_the_old_values():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    a = x * 1.0
    s = a.exp()  # saves its output, not a
    a *= 4.0
    (s + a).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([0.5, -1.0, 2.0]) + 4.0)


def test_keep_grad_follows_the_tensor_to_its_new_history():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = x * 2.0
    a.keep_grad = True
    a *= 3.0
    (a * 5.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0])  # d/d(new a), not d/d(old a)
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])
    x.grad = None
    (a * 1.0).backward(keep_grad=True)
    np.testing.assert_array_equal(a.grad, [6.0, 6.0])


def test_a_long_in_place_chain_needs_no_recursion_and_is_deterministic():
    grads = []
    for _ in range(2):
        x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
        a = x * 1.0
        for i in range(5_000):
            a += 0.001 if i % 2 else a * 0.0
            a *= 1.0
        a.sum().backward()
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0], [1.0, 1.0])
    np.testing.assert_array_equal(grads[0], grads[1])


# ---- reshapes share the write ----------------------------------------------------------


def test_a_write_through_a_reshape_is_the_base_tensors_new_history_and_back():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2.0
    v = a.reshape(3, 1)
    v *= 3.0
    a.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0, 6.0])
    x.grad = None
    a += a * 0.0  # through the base: the reshape is rebased too
    a *= 10.0
    v.sum().backward()
    np.testing.assert_array_equal(x.grad, [60.0, 60.0, 60.0])
    assert v._version == a._version == 3


def test_a_write_into_a_reshape_of_a_plain_tensor_puts_the_base_in_the_graph():
    b = lucid.zeros(2, 2)
    v = b.reshape(4)
    y = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v += y
    assert b.requires_grad and not b.is_leaf
    (b * b).sum().backward()
    np.testing.assert_array_equal(y.grad, [2.0, 4.0, 6.0, 8.0])


def test_a_detached_tensor_is_written_outside_the_graph_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = x * 2.0
    d = a.detach()
    d *= 10.0  # a's values change; its history does not (nothing saved them)
    (a * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert a.data.tolist() == [20.0, 40.0] and a._version == 1


# ---- inplace=True activations on non-leaves --------------------------------------------

ACTIVATIONS = {
    "relu": F.relu,
    "selu": F.selu,
    "elu": lambda t, **k: F.elu(t, 0.7, **k),
    "leaky_relu": lambda t, **k: F.leaky_relu(t, 0.1, **k),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_inplace_activation_on_a_non_leaf_equals_the_out_of_place_one(name, dtype):
    fn = ACTIVATIONS[name]
    values = np.random.default_rng(3).standard_normal((5, 4)).astype(dtype)
    values[0, :3] = [0.0, -0.0, 1e-30]
    dy = np.random.default_rng(4).standard_normal((5, 4)).astype(dtype)
    results = []
    for inplace in (False, True):
        x = Tensor(values, requires_grad=True)
        h = x * 1.0
        y = fn(h, inplace=inplace)
        assert (y is h) == inplace
        y.grad = dy.copy()
        y.backward()
        results.append((y.data.copy(), x.grad))
    for out_of_place, in_place in zip(*results, strict=True):
        np.testing.assert_array_equal(in_place, out_of_place)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_an_inplace_activation_after_an_op_that_saved_its_input_is_a_version_error(name):
    x, w = Tensor([1.0, -2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    h = x * 1.0
    s = h * w  # saves h for w's gradient
    ACTIVATIONS[name](h, inplace=True)
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        (s + h).sum().backward()
    x.grad = None
    h = x * 1.0
    s = h * 2.0  # saves nothing of h
    F.relu(h, inplace=True)
    (s + h).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 2.0])


# ---- inplace=True dropout on non-leaves (PyTorch's test_Dropout*_inplace) --------------

MEMBERS = [
    ("alpha", lambda **k: nn.AlphaDropout(0.3, **k), (40, 30)),
    ("alpha", lambda **k: nn.FeatureAlphaDropout(0.3, **k), (20, 6, 5)),
    ("standard", lambda **k: nn.Dropout(0.3, **k), (40, 30)),
    ("standard", lambda **k: nn.Dropout1d(0.3, **k), (20, 6, 5)),
    ("standard", lambda **k: nn.Dropout2d(0.3, **k), (4, 6, 5, 5)),
    ("standard", lambda **k: nn.Dropout3d(0.3, **k), (2, 6, 3, 4, 5)),
]


@pytest.mark.parametrize("kind, make, shape", MEMBERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_dropout_of_input_plus_zero_matches_out_of_place_bit_for_bit(
    kind, make, shape, dtype
):
    rng = np.random.default_rng(7)
    values, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    runs = []
    for inplace in (False, True):
        layer = make(inplace=inplace, generator=lucid.random.Generator(11))
        x = Tensor(values, requires_grad=True)
        h = x + 0
        out = layer(h)
        assert (out is h) == inplace and out._version == int(inplace)
        out.grad = dy.copy()
        out.backward()
        runs.append((out.data.copy(), x.grad, layer.mask.data))
    for out_of_place, in_place in zip(*runs, strict=True):
        np.testing.assert_array_equal(in_place, out_of_place)
    a = dtype(_C.dropout_coefficients(0.3, kind)[0])
    keep = np.broadcast_to(runs[1][2], shape).astype(bool)
    np.testing.assert_array_equal(runs[1][1], dy * np.where(keep, a, dtype(0)))  # A·mask·dy


@pytest.mark.parametrize(
    "fn, shape",
    [
        (F.dropout, (30, 4)),
        (F.alpha_dropout, (30, 4)),
        (F.feature_alpha_dropout, (30, 4, 2)),
        (F.dropout1d, (30, 4, 2)),
        (F.dropout2d, (3, 4, 2, 2)),
        (F.dropout3d, (3, 4, 2, 2, 2)),
    ],
)
def test_functional_inplace_dropout_on_a_non_leaf_equals_out_of_place(fn, shape):
    values = np.random.default_rng(2).standard_normal(shape)
    runs = []
    for inplace in (False, True):
        x = Tensor(values, requires_grad=True)
        h = x * 2.0
        out = fn(h, 0.4, True, inplace, generator=lucid.random.Generator(3))
        assert (out is h) == inplace
        (out * out).sum().backward()
        runs.append((out.data.copy(), x.grad))
    for out_of_place, in_place in zip(*runs, strict=True):
        np.testing.assert_array_equal(in_place, out_of_place)


def test_inplace_alpha_dropout_of_a_selu_output_in_a_network_trains():
    lucid.random.seed(0)
    model = nn.Sequential(
        nn.Linear(4, 8), nn.SELU(inplace=True), nn.AlphaDropout(0.2, inplace=True), nn.Linear(8, 1)
    )
    x = lucid.random.randn(16, 4)
    loss = (model(x) * model(x)).mean()
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())
