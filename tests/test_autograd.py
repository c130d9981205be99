"""The autograd tape: accumulation, seeding, deep graphs, no_grad, keep_grad, checks."""

import threading

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage
from lucid.autograd import Function


def test_gradients_accumulate_over_backward_calls_and_the_graph_is_kept():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    y.backward()  # lucid keeps the graph, so a second pass works and adds up
    np.testing.assert_array_equal(x.grad, [4.0, 8.0, 12.0])
    x.zero_grad()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_non_scalar_output_is_seeded_with_ones():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x * 2.0).backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_an_existing_grad_on_the_output_is_the_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y.grad = np.array([10.0, -1.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [30.0, -3.0])
    z = x * 1.0
    z.grad = np.ones(3)
    with pytest.raises(RuntimeError, match=r"seed gradient has shape \(3,\)"):
        z.backward()


def test_shared_subexpressions_sum_their_gradients():
    x = Tensor([2.0], requires_grad=True)
    a = x * x
    b = a + a * x  # x² + x³
    b.backward()
    np.testing.assert_allclose(x.grad, [2 * 2.0 + 3 * 2.0**2])


def test_a_ten_thousand_op_chain_needs_no_recursion():
    x = Tensor([1.5, -2.0], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0 + 0.0
    y = y * 2.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_backward_order_is_deterministic():
    def grad_bits():
        x = Tensor(np.linspace(0.1, 1.0, 7, dtype=np.float32), requires_grad=True)
        terms = [x * np.float32(c) for c in (0.1, 0.7, 1e-3, 3.3, 1e4)]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        (total * total).sum().backward()
        return x.grad.tobytes()

    assert len({grad_bits() for _ in range(5)}) == 1


def test_no_grad_builds_no_graph_and_works_as_a_decorator():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with lucid.no_grad():
        assert not lucid.grad_enabled()
        y = x * 2.0
        with lucid.enable_grad():
            assert lucid.grad_enabled()
            z = x * 2.0
    assert lucid.grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf

    @lucid.no_grad()
    def called(t):
        return t * 2.0, lucid.grad_enabled()

    @lucid.no_grad
    def bare(t):
        return t + 1.0

    out, enabled = called(x)
    assert not enabled and not out.requires_grad and not bare(x).requires_grad
    assert called.__name__ == "called" and lucid.grad_enabled()


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(KeyError), lucid.no_grad():
        raise KeyError("boom")
    assert lucid.grad_enabled()


def test_no_grad_is_thread_local():
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def other_thread():
        entered.wait()
        x = Tensor([1.0], requires_grad=True)
        seen["enabled"] = lucid.grad_enabled()
        seen["recorded"] = (x * 2.0).requires_grad
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with lucid.no_grad():
        entered.set()
        release.wait(10)
        assert not lucid.grad_enabled()
    worker.join(10)
    assert seen == {"enabled": True, "recorded": True}


def test_intermediate_grads_are_dropped_unless_kept():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    y = (h * h).sum()
    y.backward()
    assert h.grad is None and y.grad is None and x.grad is not None

    h = x * 2.0
    h.keep_grad = True
    y = (h * h).sum()
    y.backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    assert y.grad is None  # only h asked to keep its gradient

    x.zero_grad()
    h = x * 2.0
    y = (h * h).sum()
    y.backward(keep_grad=True)
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    assert y.grad.shape == () and y.grad == 1.0
    np.testing.assert_array_equal(x.grad, 8 * x.data)


def test_keep_grad_tensor_from_the_constructor_keeps_its_grad_as_a_leaf():
    x = Tensor([1.0], requires_grad=True, keep_grad=True)
    (x * 5.0).backward()
    np.testing.assert_array_equal(x.grad, [5.0])


def test_backward_without_requires_grad_does_nothing():
    x = Tensor([1.0, 2.0])
    y = x * 2.0
    y.backward()
    assert x.grad is None and y.grad is None


def test_inputs_without_requires_grad_get_no_gradient():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    (a * b).backward()
    assert b.grad is None
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])


def test_comparisons_have_no_gradient_and_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for mask in (x > 1.0, x == x * 1.0, x != 0.0, x <= x * 2.0, x < 3.0, x >= 2.0):
        assert mask.dtype == np.bool_ and not mask.requires_grad and mask.is_leaf
    (x * (x > 1.5)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


class WrongShape(Function):
    def forward(self, a):
        return _storage.copy_of(a)

    def backward(self, grad):
        return (grad.sum(keepdims=True),)


class TwoForOne(Function):
    def forward(self, a):
        return _storage.copy_of(a)

    def backward(self, grad):
        return grad, grad


class NumpyOwned(Function):
    def forward(self, a):
        return a * 2.0


def test_a_wrong_shaped_gradient_names_the_function():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward .* shape \(1,\) .* \(3,\)"):
        WrongShape.apply(x).backward()
    with pytest.raises(RuntimeError, match="TwoForOne.backward returned 2 gradients for 1"):
        TwoForOne.apply(x).backward()
    assert x.grad is None


def test_forward_must_return_storage():
    with pytest.raises(TypeError, match="NumpyOwned.*storage"):
        NumpyOwned.apply(Tensor([1.0]))


class Scale(Function):
    """A user-defined op: y = k·x, with a float64 gradient for any input dtype."""

    def forward(self, a, k):
        self.k = k
        out = _storage.empty(a.shape, a.dtype)
        np.multiply(a, k, out=out)
        return out

    def backward(self, grad):
        return (np.asarray(grad, dtype=np.float64) * self.k,)


def test_a_function_subclass_gets_its_gradient_cast_to_the_input_dtype():
    x = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    y = Scale.apply(x, k=3.0)
    assert not y.is_leaf and y._ctx.needs_input_grad == (True,)
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    with lucid.no_grad():
        assert Scale.apply(x, k=2.0).is_leaf
