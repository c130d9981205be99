"""lucid.autograd.hooks.queue_callback: a hook queues a callback that runs once, when
its backward pass has stored every leaf gradient; a pass that fails runs none."""

import numpy as np
import pytest

from lucid import Tensor
from lucid.autograd import hooks


def test_a_callback_queued_by_a_hook_runs_once_after_every_gradient_is_stored():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    seen = []

    def at_end():
        seen.append((a.grad.tolist(), b.grad.tolist()))

    for leaf in (a, b):
        leaf.register_hook(lambda t, g: hooks.queue_callback(at_end))
    ((a * b).sum() * 2).backward()
    assert seen == [([6.0, 6.0], [6.0])]  # both leaves' grads already in, and one call
    assert hooks.callbacks == []
    ((a * b).sum() * 2).backward()
    assert seen[1] == ([12.0, 12.0], [12.0])


def test_callbacks_run_in_the_order_queued_and_may_queue_more():
    x = Tensor(np.array([1.0]), requires_grad=True)
    order = []

    def second():
        order.append("second")

    def first():
        order.append("first")
        hooks.queue_callback(lambda: order.append("third"))

    def queue_both(t, g):
        hooks.queue_callback(first)
        hooks.queue_callback(second)

    x.register_hook(queue_both)
    (x * 2).sum().backward()
    assert order == ["first", "second", "third"]


def test_a_failed_backward_drops_the_queued_callbacks():
    x = Tensor(np.array([1.0]), requires_grad=True)
    ran = []
    x.register_hook(lambda t, g: hooks.queue_callback(lambda: ran.append(1)))

    def fail(t, g):
        raise RuntimeError("hook failed on purpose")

    y = x * 2
    y.register_hook(fail)
    with pytest.raises(RuntimeError, match="on purpose"):
        (y * 1).sum().backward()
    assert hooks.callbacks == [] and ran == []
    (x * 3).sum().backward()
    assert ran == [1]


def test_a_non_callable_callback_is_a_type_error():
    with pytest.raises(TypeError, match="queue_callback: fn must be callable, got 3"):
        hooks.queue_callback(3)
