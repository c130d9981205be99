"""nn.Module and nn.Parameter: registration, traversal, modes, gradients, state dicts
and printing, with PyTorch's semantics."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, nn
from lucid.nn.module import StateDictKeyError


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(Tensor([2.0]))
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(x) * self.scale


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.head = nn.Linear(2, 1)
        self.register_buffer("steps", Tensor([0.0]))

    def forward(self, x):
        return self.head(self.inner(x))


class AlphaDropoutModel(nn.Module):
    def __init__(self):
        super(AlphaDropoutModel, self).__init__()  # noqa: UP008 (as the lucid docs write it)
        self.linear = nn.Linear(4, 2)
        self.alpha_dropout = nn.AlphaDropout(p=0.1)

    def forward(self, x):
        return self.alpha_dropout(self.linear(x))


def test_parameter_is_a_leaf_requiring_grad_with_its_own_storage():
    source = Tensor([[1.0, 2.0]])
    p = nn.Parameter(source)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float64 and p.shape == (1, 2)
    assert not np.shares_memory(p.data, source.data)
    assert repr(p).startswith("Tensor(")  # lucid 2.x's repr
    assert nn.Parameter([1, 2], dtype=np.float64).dtype == np.float64


def test_registration_follows_definition_order():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(Tensor([1.0]))
            self.a = nn.Linear(1, 1)
            self.plain = Tensor([5.0])  # a plain Tensor is an attribute, not a parameter
            self.c = nn.Parameter(Tensor([2.0]))

    m = M()
    # Own parameters in assignment order, then each child's, as PyTorch orders them.
    assert [n for n, _ in m.named_parameters()] == ["b", "c", "a.weight", "a.bias"]
    m.b = nn.Parameter(Tensor([3.0]))  # re-assigning keeps the name's place
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["b", "c"]
    assert [n for n, _ in m.named_children()] == ["a"]
    assert next(m.parameters()) is m.b and list(m.children()) == [m.a]
    assert list(m.named_parameters(recurse=False)) == [("b", m.b), ("c", m.c)]


def test_nested_names_are_dotted():
    m = Outer()
    assert [n for n, _ in m.named_parameters()] == [
        "inner.scale",
        "inner.linear.weight",
        "inner.linear.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "inner.linear", "head"]
    assert [type(x).__name__ for x in m.modules()] == ["Outer", "Inner", "Linear", "Linear"]
    assert next(m.named_parameters(prefix="model"))[0] == "model.inner.scale"
    assert [n for n, _ in m.named_buffers()] == ["steps"]


def test_shared_parameters_and_modules_are_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(3, 3)
            self.second = nn.Linear(3, 3)
            self.second.weight = self.first.weight
            self.again = self.first  # the same module under two names

    m = Tied()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["first.weight", "first.bias", "second.bias"]
    assert len(list(m.parameters())) == 3 and len(list(m.modules())) == 3
    # The state dict names every path, as PyTorch's does.
    assert list(m.state_dict()) == [
        "first.weight", "first.bias", "second.weight", "second.bias",
        "again.weight", "again.bias",
    ]  # fmt: skip


def test_none_replaces_a_registered_parameter_or_module_but_other_types_do_not():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 2), np.float32))
    m = Outer()
    m.head = None
    assert [n for n, _ in m.named_children()] == ["inner"]
    with pytest.raises(TypeError, match="child module 'head'"):
        m.head = 3
    m.head = nn.Linear(2, 1)
    assert "head.weight" in dict(m.named_parameters())
    del m.head
    assert not hasattr(m, "head") and "head" not in [n for n, _ in m.named_children()]


def test_buffers_are_state_but_not_parameters():
    m = Outer()
    m.register_buffer("scratch", Tensor([1.0]), persistent=False)
    assert all(b is not p for b in m.buffers() for p in m.parameters())
    assert "steps" in m.state_dict() and "scratch" not in m.state_dict()
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    m.steps = Tensor([3.0])  # reassigning a buffer keeps it a buffer
    assert m.state_dict()["steps"].data[0] == 3.0
    with pytest.raises(TypeError, match="buffer 'steps'"):
        m.steps = [1.0]


def test_register_and_add_module_check_names_and_types():
    m = nn.Module()
    m.add_module("child", nn.Linear(1, 1))
    m.register_parameter("w", nn.Parameter(Tensor([1.0])))
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    with pytest.raises(KeyError, match=r"contain \"\.\", got .*a\.b"):
        m.add_module("a.b", nn.Linear(1, 1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("child", None)
    with pytest.raises(TypeError, match="parameter 'v'"):
        m.register_parameter("v", Tensor([1.0]))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)


def test_assigning_before_super_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(Tensor([1.0]))

    class ForgotModule(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call.*super"):
        Forgot()
    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        ForgotModule()


def test_train_and_eval_propagate_and_return_self():
    m = Outer()
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    m.inner.train(False)
    assert m.training and not m.inner.training and not m.inner.linear.training
    with pytest.raises(TypeError, match="mode='yes'"):
        m.train("yes")


def test_zero_grad_resets_every_parameter_like_tensor_zero_grad():
    m = Outer()
    m(Tensor(np.ones((4, 3), np.float32))).sum().backward()
    assert all(p.grad is not None and np.any(p.grad != 0) for p in m.parameters())
    probe = Tensor([1.0, 2.0], requires_grad=True)
    probe.sum().backward()
    probe.zero_grad()
    m.zero_grad()
    for p in m.parameters():
        if probe.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


def test_state_dict_holds_numpy_copies_as_lucid_2_and_keep_vars_the_tensors():
    m = Outer()
    sd = m.state_dict()
    assert list(sd) == [
        "steps",
        "inner.scale",
        "inner.linear.weight",
        "inner.linear.bias",
        "head.weight",
        "head.bias",
    ]
    for name, value in sd.items():
        tensor = dict(m.named_parameters()).get(name, m.steps)
        assert type(value) is np.ndarray and value.dtype == tensor.dtype
        np.testing.assert_array_equal(value, tensor.data)
        assert not np.shares_memory(value, tensor.data)  # a later step does not show through
    assert m.state_dict(keep_vars=True)["head.weight"] is m.head.weight


def test_state_dict_round_trip_gives_identical_outputs():
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    lucid.random.seed(1)
    source = Outer()
    lucid.random.seed(2)
    target = Outer()
    assert not np.array_equal(source(x).data, target(x).data)
    weight, view = target.head.weight, target.head.weight.data
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(source(x).data, target(x).data)
    # Copied into the existing parameter's storage: an earlier view sees the new values.
    assert target.head.weight is weight
    np.testing.assert_array_equal(view, source.head.weight.data)
    assert not np.shares_memory(target.head.weight.data, source.head.weight.data)


def test_load_accepts_arrays_and_casts_to_the_parameter_dtype():
    layer = nn.Linear(2, 1).to(np.float32)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": [0.5]})
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer(Tensor([[1.0, 1.0]])).data, [[3.5]])


def test_strict_load_lists_missing_and_unexpected_keys_and_changes_nothing():
    m = Outer()
    before = m.state_dict()  # copies
    sd = Outer().state_dict()
    del sd["head.bias"]
    sd["head.extra"] = Tensor([1.0])
    with pytest.raises(StateDictKeyError) as info:
        m.load_state_dict(sd)
    assert isinstance(info.value, KeyError) and isinstance(info.value, RuntimeError)
    text = str(info.value)
    assert text.startswith("Error(s) in loading state_dict for Outer:")
    assert 'Missing key(s) in state_dict: "head.bias"' in text
    assert 'Unexpected key(s) in state_dict: "head.extra"' in text
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])

    result = m.load_state_dict(sd, strict=False)
    assert result == (["head.bias"], ["head.extra"])
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["head.extra"]
    np.testing.assert_array_equal(m.head.weight.data, sd["head.weight"].data)
    np.testing.assert_array_equal(m.head.bias.data, before["head.bias"])


@pytest.mark.parametrize("strict", [True, False])
def test_shape_mismatch_names_the_key_and_both_shapes(strict):
    m = Outer()
    sd = m.state_dict()
    before = m.inner.scale.data.copy()
    sd["inner.scale"] = Tensor([9.0])
    sd["head.weight"] = Tensor(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"head\.weight.*\(1, 3\).*\(1, 2\)"):
        m.load_state_dict(sd, strict=strict)
    np.testing.assert_array_equal(m.inner.scale.data, before)  # nothing was copied


def test_call_runs_forward_with_args_and_kwargs():
    class Affine(nn.Module):
        def forward(self, x, *, shift=0.0):
            return x * 2.0 + shift

    out = Affine()(Tensor([1.0, 2.0]), shift=1.0)
    np.testing.assert_array_equal(out.data, [3.0, 5.0])


def test_missing_forward_names_the_class():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward"):
        NoForward()(Tensor([1.0]))


def test_repr_lists_children_like_pytorch():
    assert repr(AlphaDropoutModel()) == (
        "AlphaDropoutModel(\n"
        "  (linear): Linear(4, 2, bias=True)\n"
        "  (alpha_dropout): AlphaDropout(p=0.1)\n"
        ")"
    )
    assert repr(Outer()) == (
        "Outer(\n"
        "  (inner): Inner(\n"
        "    (linear): Linear(3, 2, bias=True)\n"
        "  )\n"
        "  (head): Linear(2, 1, bias=True)\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"


def test_extra_repr_comes_before_children():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def extra_repr(self):
            return "depth=2"

    assert repr(Block()) == ("Block(\n  depth=2\n  (fc): Linear(1, 1, bias=True)\n)")


def test_alpha_dropout_model_trains_and_evaluates():
    model = AlphaDropoutModel()
    x = Tensor([[1.0, 2.0, 3.0, 4.0]])
    model.eval()
    np.testing.assert_allclose(model(x).data, model.linear(x).data)
    model.train()
    assert model.alpha_dropout.training
    model(x).sum().backward()
    assert model.linear.weight.grad.shape == (2, 4)
