"""Tensor.register_hook (lucid.autograd.hooks): lucid 2.x's hook(tensor, grad) calling
convention, PyTorch's timing and replacement, the removable handle."""

import copy
import gc
import pickle

import numpy as np
import pytest

import lucid
from lucid import Tensor
from lucid.autograd import hooks


def test_a_leaf_hook_gets_the_tensor_and_the_gradient_of_this_pass():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    x.register_hook(lambda t, g: seen.append((t, g.copy())))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert [t is x for t, _ in seen] == [True, True]
    assert [g.tolist() for _, g in seen] == [[3.0, 3.0], [3.0, 3.0]]  # not the accumulated .grad
    assert x.grad.tolist() == [6.0, 6.0]


def test_a_returned_gradient_replaces_it_for_leaves_and_for_what_comes_before():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    y.register_hook(lambda t, g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 40.0]
    z = Tensor(np.array([1.0]), requires_grad=True)
    z.register_hook(lambda t, g: Tensor(np.array([7.0])))
    (z * 2).sum().backward()
    assert z.grad.tolist() == [7.0]


def test_a_non_leaf_hook_sees_the_summed_gradient_once():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda t, g: seen.append(g.tolist()))
    (y * y + y).sum().backward()
    assert seen == [[5.0, 9.0]]  # 2y + 1 at y = (2, 4)
    assert x.grad.tolist() == [10.0, 18.0]


def test_the_handle_removes_the_hook_by_remove_or_by_call():
    x = Tensor(np.array([1.0]), requires_grad=True)
    calls = []
    first = x.register_hook(lambda t, g: calls.append("a"))
    second = x.register_hook(lambda t, g: calls.append("b"))
    (x * 1).sum().backward()
    first.remove()
    first.remove()  # a second removal does nothing
    (x * 1).sum().backward()
    second()
    (x * 1).sum().backward()
    assert calls == ["a", "b", "b"]


def test_a_one_argument_hook_is_a_type_error_as_in_lucid2():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    x.register_hook(lambda g: None)
    with pytest.raises(TypeError):
        (x * 2).sum().backward()


def test_bad_hooks_and_bad_replacements_are_named():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="hook must be callable, got 3"):
        x.register_hook(3)
    x.register_hook(lambda t, g: np.ones(3))
    with pytest.raises(ValueError, match=r"a hook returned ndarray of shape \(3,\)"):
        (x * 2).sum().backward()


def test_hooks_are_not_copied_or_pickled_and_go_with_their_tensor():
    x = Tensor(np.ones(2), requires_grad=True)
    x.register_hook(lambda t, g: g * 0)
    y = copy.deepcopy(x)
    (y * 2).sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]
    assert pickle.loads(pickle.dumps(x)).tolist() == [1.0, 1.0]
    count = len(hooks._leaf_hooks)
    del x, y
    gc.collect()
    assert len(hooks._leaf_hooks) == count - 1


def test_a_hook_under_no_grad_graphs_is_never_called():
    x = Tensor(np.ones(2), requires_grad=True)
    calls = []
    x.register_hook(lambda t, g: calls.append(1))
    with lucid.no_grad():
        x * 2
    assert calls == []
