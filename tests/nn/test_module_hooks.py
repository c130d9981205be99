"""Module hooks (lucid.nn.hooks): call order, replaced inputs and outputs, backward hooks,
removal by handle, and hooks across copy.copy, copy.deepcopy and pickle."""

import copy
import pickle

import numpy as np
import pytest

import lucid
from lucid import Tensor, nn
from lucid.nn.hooks import RemovableHandle


class Affine(nn.Module):
    """forward(x, shift=0) = 2x + shift, recording each call's arguments."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, x, shift=0.0):
        self.log.append(("forward", x.data.tolist(), shift))
        return x * 2.0 + shift


def _values(t):
    return t.data.tolist()


def test_pre_hooks_forward_and_forward_hooks_run_in_order_with_their_arguments():
    log = []
    m = Affine(log)
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre 1", mod is m, len(args))))
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre 2", _values(args[0]))))
    m.register_forward_hook(lambda mod, args, out: log.append(("post 1", _values(out))))
    m.register_forward_hook(
        lambda mod, args, out: log.append(("post 2", _values(args[0]), _values(out)))
    )
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre 0",)), prepend=True)
    out = m(Tensor([1.0, 2.0]))
    assert _values(out) == [2.0, 4.0]
    assert log == [
        ("pre 0",),
        ("pre 1", True, 1),
        ("pre 2", [1.0, 2.0]),
        ("forward", [1.0, 2.0], 0.0),
        ("post 1", [2.0, 4.0]),
        ("post 2", [1.0, 2.0], [2.0, 4.0]),
    ]


def test_a_pre_hook_replaces_the_inputs_and_a_forward_hook_the_output():
    log = []
    m = Affine(log)
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1.0)  # one value: a 1-tuple
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 10.0,))
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(_values(args[0])))
    m.register_forward_hook(lambda mod, args, out: out - 1.0)
    m.register_forward_hook(lambda mod, args, out: seen.append(_values(out)))
    out = m(Tensor([1.0, 2.0]))
    # (x + 1)·10 = [20, 30]; forward gives [40, 60]; the second forward hook subtracts 1.
    assert log == [("forward", [20.0, 30.0], 0.0)]
    assert seen == [[20.0, 30.0], [39.0, 59.0]] and _values(out) == [39.0, 59.0]


def test_with_kwargs_hooks_see_and_replace_keyword_arguments():
    log = []
    m = Affine(log)

    def pre(mod, args, kwargs):
        return (args[0], {**kwargs, "shift": kwargs["shift"] + 1.0})

    m.register_forward_pre_hook(pre, with_kwargs=True)
    seen = []
    m.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append((kwargs, _values(out))), with_kwargs=True
    )
    out = m(Tensor([1.0]), shift=3.0)
    assert log == [("forward", [1.0], 4.0)] and _values(out) == [6.0]
    assert seen == [({"shift": 4.0}, [6.0])]
    m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(TypeError, match=r"tuple \(args, kwargs\), got tuple"):
        m(Tensor([1.0]), shift=0.0)


def test_handles_remove_by_remove_by_call_and_by_with():
    calls = []
    m = nn.Identity()
    first = m.register_forward_hook(lambda *a: calls.append("first"))
    second = m.register_forward_hook(lambda *a: calls.append("second"))
    third = m.register_forward_pre_hook(lambda *a: calls.append("third"))
    assert isinstance(first, RemovableHandle) and first.id != second.id
    m(Tensor([0.0]))
    assert calls == ["third", "first", "second"] and m._hooked
    first.remove()
    first.remove()  # a second remove does nothing
    second()  # lucid 2.x's handle is a callable that removes the hook
    m(Tensor([0.0]))
    assert calls == ["third", "first", "second", "third"]
    with third:
        pass
    m(Tensor([0.0]))
    assert len(calls) == 4 and not m._hooked  # back on the plain path
    with m.register_forward_hook(lambda *a: calls.append("scoped")):
        m(Tensor([0.0]))
    m(Tensor([0.0]))
    assert calls[4:] == ["scoped"]


def test_the_same_function_registered_twice_runs_twice_and_is_removed_once():
    calls = []

    def hook(mod, args, out):
        calls.append(1)

    m = nn.Identity()
    handle = m.register_forward_hook(hook)
    m.register_forward_hook(hook)
    m(Tensor([0.0]))
    handle.remove()
    m(Tensor([0.0]))
    assert calls == [1, 1, 1]


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="hook=3"):
        nn.Identity().register_forward_hook(3)
    with pytest.raises(TypeError, match="backward hook must be callable"):
        nn.Identity().register_backward_hook(None)


def test_a_backward_hook_gets_the_output_and_its_gradient_once_per_backward():
    lucid.random.seed(0)
    layer = nn.Linear(2, 3)
    seen = []
    layer.register_backward_hook(lambda t, g: seen.append((t, g.copy(), g.flags.writeable)))
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    y = layer(x)
    (y * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert len(seen) == 1
    out, grad, writeable = seen[0]
    assert out is y and not writeable
    np.testing.assert_array_equal(grad, [[1.0, 2.0, 3.0]])
    # The hook only reads: gradients are those of the same network without it.
    np.testing.assert_allclose(x.grad, [[1.0, 2.0, 3.0]] @ layer.weight.data, rtol=1e-6)
    np.testing.assert_array_equal(layer.bias.grad, [1.0, 2.0, 3.0])
    y.sum().backward()  # the graph is kept: a second backward runs the hook again
    assert len(seen) == 2 and seen[1][1].tolist() == [[1.0, 1.0, 1.0]]


def test_backward_hooks_run_inner_module_first_and_follow_registration_at_call_time():
    order = []
    inner = nn.Linear(2, 2)
    outer = nn.Sequential(inner)  # both return the same tensor
    inner.register_backward_hook(lambda t, g: order.append("inner"))
    handle = outer.register_backward_hook(lambda t, g: order.append("outer"))
    x = Tensor([[1.0, -1.0]], requires_grad=True)
    y = outer(x)
    handle.remove()  # registered when y was made: y still runs it, as in lucid
    y.sum().backward()
    assert order == ["inner", "outer"]
    outer(x).sum().backward()
    assert order == ["inner", "outer", "inner"]


def test_backward_hooks_need_a_recorded_output():
    calls = []
    layer = nn.Linear(2, 2)
    layer.register_backward_hook(lambda t, g: calls.append(1))
    with lucid.no_grad():
        y = layer(Tensor([[1.0, 2.0]]))
    assert not y.requires_grad
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    ident = nn.Identity()
    ident.register_backward_hook(lambda t, g: calls.append(2))
    ident(x).sum().backward()  # forward returned the leaf itself: no node to run from
    assert calls == [] and x.grad.tolist() == [[1.0, 1.0]]


def test_a_backward_hook_whose_output_was_dropped_gets_its_values():
    seen = []
    layer = nn.Linear(2, 1)
    layer.register_backward_hook(lambda t, g: seen.append((type(t), t.data.copy())))
    x = Tensor([[3.0, 4.0]], requires_grad=True)
    expected = layer.eval()(x).data.copy()
    layer(x).sum().backward()  # nothing holds the output when backward runs
    assert seen[-1][0] is Tensor
    np.testing.assert_array_equal(seen[-1][1], expected)


def _record(mod, args, out):
    mod.calls = getattr(mod, "calls", 0) + 1


@pytest.mark.parametrize(
    "method", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["deepcopy", "pickle"]
)
def test_copies_keep_hooks_and_a_handle_removes_from_its_own_module(method):
    model = nn.Sequential(nn.Linear(2, 2))
    handle = model[0].register_forward_hook(_record)
    copied = method(model)
    assert copied[0]._hooked
    copied(Tensor([[1.0, 2.0]]))
    assert copied[0].calls == 1 and not hasattr(model[0], "calls")
    handle.remove()  # the original's hook only
    copied(Tensor([[1.0, 2.0]]))
    model(Tensor([[1.0, 2.0]]))
    assert copied[0].calls == 2 and not hasattr(model[0], "calls")


def test_a_copy_with_a_bound_method_hook_calls_the_copys_method():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = 0
            self.register_forward_hook(self.count)

        def count(self, mod, args, out):
            self.seen += 1

        def forward(self, x):
            return x

    original = Counter()
    twin = copy.deepcopy(original)
    twin(Tensor([1.0]))
    assert (twin.seen, original.seen) == (1, 0)


def test_unpicklable_hooks_make_pickling_fail_until_removed():
    layer = nn.Linear(2, 2)
    handle = layer.register_forward_hook(lambda *a: None)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(layer)
    handle.remove()
    assert not pickle.loads(pickle.dumps(layer))._hooked


def test_copy_copy_has_hook_registries_of_its_own():
    layer = nn.Linear(2, 2)
    layer.register_forward_hook(_record)
    shallow = copy.copy(layer)
    shallow.register_forward_hook(_record)
    assert len(layer._forward_hooks) == 1 and len(shallow._forward_hooks) == 2


def test_a_full_backward_hook_gets_the_gradients_of_inputs_and_output():
    layer = nn.Linear(2, 3)
    seen = []
    layer.register_full_backward_hook(
        lambda mod, gin, gout: seen.append((mod, [g.copy() for g in gin], [g.copy() for g in gout]))
    )
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    dy = np.array([[1.0, -2.0, 0.5]], np.float32)
    y = layer(x)
    (y * Tensor(dy)).sum().backward()
    assert len(seen) == 1 and seen[0][0] is layer
    (gin,), (gout,) = seen[0][1], seen[0][2]
    np.testing.assert_array_equal(gout, dy)
    np.testing.assert_allclose(gin, dy @ layer.weight.data, rtol=1e-6)
    np.testing.assert_allclose(x.grad, gin, rtol=1e-6)  # the hook only reads
    y.sum().backward()  # a second backward of the same graph runs it again
    assert len(seen) == 2 and seen[1][2][0].tolist() == [[1.0, 1.0, 1.0]]


def test_full_backward_hooks_give_none_where_an_input_needs_no_gradient():
    class Scaled(nn.Module):
        def forward(self, x, s):
            return x * s

    calls = []
    m = Scaled()
    m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 10.0,))
    m.register_full_backward_hook(
        lambda mod, gin, gout: calls.append(
            ([None if g is None else g.tolist() for g in gin], gout[0].tolist())
        )
    )
    x = Tensor([1.0, 2.0], requires_grad=True)
    m(x, Tensor([3.0, 4.0])).sum().backward()
    # The pre-hook's grad_output is what the hook sees; the gradient that flows is not.
    assert calls == [([[3.0, 4.0], None], [10.0, 10.0])]
    assert x.grad.tolist() == [3.0, 4.0]
    handle = m.register_full_backward_hook(lambda mod, gin, gout: calls.append("second"))
    m(Tensor([1.0]), x[:1]).sum().backward()  # only the second input needs a gradient
    assert calls[1:] == [([None, [1.0]], [10.0]), "second"]
    handle.remove()
    with lucid.no_grad():
        m(x, x)
    assert len(calls) == 3


def test_a_full_backward_hook_runs_when_no_input_needs_a_gradient():
    layer = nn.Linear(2, 1)
    calls = []
    layer.register_full_backward_hook(lambda mod, gin, gout: calls.append((gin, gout[0].tolist())))
    layer(Tensor([[1.0, 2.0]])).sum().backward()
    assert calls == [((None,), [[1.0]])]
    assert layer.weight.grad.tolist() == [[1.0, 2.0]]


def test_a_full_backward_hook_on_a_module_that_returns_its_input():
    calls = []
    ident = nn.Identity()
    ident.register_full_backward_hook(
        lambda mod, gin, gout: calls.append((gin[0].tolist(), gout[0].tolist()))
    )
    x = Tensor([1.0, 2.0], requires_grad=True)
    (ident(x) * 3.0).sum().backward()
    assert calls == [([3.0, 3.0], [3.0, 3.0])] and x.grad.tolist() == [3.0, 3.0]


def test_state_dict_hooks_run_per_module_in_the_recursion():
    log = []
    model = nn.Sequential(nn.Linear(2, 1))
    model.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix, keep)))
    model[0].register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre 0", prefix)))
    model[0].register_state_dict_hook(
        lambda m, dest, prefix, keep: log.append(("post 0", list(dest)))
    )

    def drop_bias(m, dest, prefix, keep):
        log.append(("post", prefix))
        del dest["0.bias"]

    handle = model.register_state_dict_hook(drop_bias)
    sd = model.state_dict()
    assert list(sd) == ["0.weight"]
    assert log == [
        ("pre", "", False),
        ("pre 0", "0."),
        ("post 0", ["0.weight", "0.bias"]),
        ("post", ""),
    ]
    handle.remove()
    assert list(model.state_dict(keep_vars=True)) == ["0.weight", "0.bias"]
    assert not model._hooked  # state-dict hooks leave calls on the plain path


def test_load_state_dict_hooks_run_on_the_loaded_module_before_and_after():
    source, target = nn.Linear(2, 1), nn.Linear(2, 1)
    log = []

    def pre(m, state_dict, strict):
        log.append(
            (
                "pre",
                sorted(state_dict),
                strict,
                m.weight.data.tolist() == source.weight.data.tolist(),
            )
        )

    target.register_load_state_dict_pre_hook(pre)
    target.register_load_state_dict_post_hook(
        lambda m, missing, unexpected, strict: log.append(
            (
                "post",
                missing,
                unexpected,
                strict,
                m.weight.data.tolist() == source.weight.data.tolist(),
            )
        )
    )
    target.load_state_dict(source.state_dict())
    assert log == [("pre", ["bias", "weight"], True, False), ("post", [], [], True, True)]
    sd = {"weight": source.weight, "extra": Tensor([1.0])}
    target.load_state_dict(sd, strict=False)
    assert log[-1] == ("post", ["bias"], ["extra"], False, True)
    with pytest.raises(KeyError):
        target.load_state_dict(sd)
    assert log[-1][0] == "pre"  # a refused load runs the pre-hook only
