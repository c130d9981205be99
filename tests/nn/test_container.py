"""nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.Identity and nn.Flatten: registration,
order, PyTorch's state_dict key names, the list and mapping APIs, and error cases."""

from collections import OrderedDict

import numpy as np
import pytest

import lucid
from lucid import Tensor, nn


def param_names(module):
    return [name for name, _ in module.named_parameters()]


# ---- Sequential ---------------------------------------------------------------------


def test_sequential_chains_its_modules_in_order():
    lucid.random.seed(0)
    net = nn.Sequential(nn.Linear(4, 3), nn.SELU(), nn.Linear(3, 2), nn.Softmax(axis=-1))
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    expected = x
    for layer in [net[0], net[1], net[2], net[3]]:
        expected = layer(expected)
    y = net(x)
    np.testing.assert_array_equal(y.data, expected.data)
    np.testing.assert_allclose(y.data.sum(axis=-1), 1.0, rtol=1e-6)


def test_sequential_keys_parameters_and_state_dict_like_pytorch():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2, bias=False))
    assert list(net._modules) == ["0", "1", "2"]
    assert param_names(net) == ["0.weight", "0.bias", "2.weight"]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight"]
    assert [name for name, _ in net.named_modules()] == ["", "0", "1", "2"]
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(4, 3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(3, 2, bias=False)\n"
        ")"
    )


def test_sequential_from_an_ordered_dict_keeps_the_names():
    net = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(net._modules) == ["fc", "act"]
    assert list(net.state_dict()) == ["fc.weight", "fc.bias"]
    assert net.fc is net[0] and net.act is net[-1]


def test_sequential_indexing_slicing_len_iter():
    mods = [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()]
    net = nn.Sequential(*mods)
    assert len(net) == 4 and list(net) == mods
    assert net[0] is mods[0] and net[-1] is mods[3] and net[-4] is mods[0]
    assert net[np.int64(2)] is mods[2]
    tail = net[1:3]
    assert isinstance(tail, nn.Sequential) and list(tail) == mods[1:3]
    assert list(tail._modules) == ["1", "2"]  # PyTorch keeps the keys in a slice
    assert list(net[::-1]) == mods[::-1] and len(net[5:]) == 0
    for bad in [4, -5]:
        with pytest.raises(IndexError, match=f"index {bad} is out of range for length 4"):
            net[bad]
    with pytest.raises(TypeError, match="integers or slices, got str '0'"):
        net["0"]


def test_sequential_setitem_replaces_in_place():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    net[-1] = nn.Tanh()
    assert isinstance(net[1], nn.Tanh) and list(net._modules) == ["0", "1"]
    with pytest.raises(TypeError, match="must be a lucid.nn.Module, got int 3"):
        net[0] = 3


def test_sequential_append_returns_self_and_registers():
    net = nn.Sequential(nn.Linear(2, 3))
    assert net.append(nn.ReLU()).append(nn.Linear(3, 1)) is net
    assert list(net._modules) == ["0", "1", "2"]
    assert param_names(net) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net(Tensor(np.ones((4, 2), np.float32))).shape == (4, 1)
    with pytest.raises(TypeError, match=r"module must be a lucid.nn.Module, got function"):
        net.append(lambda x: x)
    named = nn.Sequential(OrderedDict([("1", nn.ReLU())]))
    with pytest.raises(KeyError, match="'1' is already taken"):
        named.append(nn.Tanh())


def test_sequential_rejects_non_modules_naming_them():
    with pytest.raises(TypeError, match=r"argument 1 must be a lucid.nn.Module, got int 5"):
        nn.Sequential(nn.ReLU(), 5)
    with pytest.raises(TypeError, match="argument 0 .* got NoneType None"):
        nn.Sequential(None)
    with pytest.raises(TypeError, match="module named 'b' must be a lucid.nn.Module"):
        nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", "relu")]))
    with pytest.raises(KeyError, match=r'contain "\.", got'):
        nn.Sequential(OrderedDict([("a.b", nn.ReLU())]))


def test_empty_sequential_is_the_identity():
    x = Tensor([1.0, 2.0])
    assert nn.Sequential()(x) is x and len(nn.Sequential()) == 0


def test_gradients_flow_through_sequential_and_state_dict_round_trips():
    lucid.random.seed(1)
    net = nn.Sequential(nn.Linear(3, 4), nn.SELU(), nn.Linear(4, 1))
    net(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    assert all(p.grad is not None and np.abs(p.grad).max() > 0 for p in net.parameters())
    lucid.random.seed(2)
    other = nn.Sequential(nn.Linear(3, 4), nn.SELU(), nn.Linear(4, 1))
    other.load_state_dict(net.state_dict())
    ours, theirs = net.state_dict(), other.state_dict()
    assert list(ours) == list(theirs) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for key in ours:
        np.testing.assert_array_equal(ours[key].data, theirs[key].data)


def test_a_module_shared_twice_is_counted_once():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert param_names(net) == ["0.weight", "0.bias"]
    assert len(net) == 3 and net[0] is net[2]


# ---- ModuleList ---------------------------------------------------------------------


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])
        self.heads = nn.ModuleDict({"mean": nn.Linear(1, 1)})

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.heads["mean"](x)


def test_module_list_inside_a_model_gives_pytorch_key_names():
    model = Stack()
    keys = [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "heads.mean.weight",
        "heads.mean.bias",
    ]
    assert param_names(model) == keys and list(model.state_dict()) == keys
    assert model(Tensor(np.ones((5, 2), np.float32))).shape == (5, 1)


def test_module_list_append_extend_iadd_len_iter_index():
    a, b, c, d = nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()
    ml = nn.ModuleList()
    assert len(ml) == 0 and list(ml) == []
    assert ml.append(a) is ml
    assert ml.extend([b, c]) is ml
    ml += [d]
    assert list(ml) == [a, b, c, d] and len(ml) == 4
    assert list(ml._modules) == ["0", "1", "2", "3"]
    assert ml[0] is a and ml[-1] is d and ml[-4] is a
    sliced = ml[1:3]
    assert isinstance(sliced, nn.ModuleList) and list(sliced) == [b, c]
    assert list(sliced._modules) == ["0", "1"]
    with pytest.raises(IndexError, match="index -5 is out of range for length 4"):
        ml[-5]
    with pytest.raises(TypeError, match="integers or slices"):
        ml[1.0]


def test_module_list_insert_renumbers_and_reorders_state_dict():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(2, 2)])
    first, second = ml[0], ml[1]
    new = nn.Linear(3, 3)
    ml.insert(1, new)
    assert list(ml) == [first, new, second]
    shapes = {k: v.shape for k, v in ml.state_dict().items()}
    assert list(shapes) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]
    assert shapes["1.weight"] == (3, 3) and shapes["2.weight"] == (2, 2)
    # list.insert's rules for negative and past-the-end indices
    ml.insert(-1, nn.ReLU())
    ml.insert(100, nn.Tanh())
    ml.insert(-100, nn.Sigmoid())
    kinds = [type(m).__name__ for m in ml]
    assert kinds == ["Sigmoid", "Linear", "Linear", "ReLU", "Linear", "Tanh"]
    with pytest.raises(TypeError, match="index must be an int, got str 'x'"):
        ml.insert("x", nn.ReLU())


def test_module_list_setitem_and_delitem():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    ml, identity = nn.ModuleList([a, b, c]), nn.Identity()
    ml[-1] = identity
    assert list(ml) == [a, b, identity]
    del ml[0]
    assert list(ml) == [b, identity] and list(ml._modules) == ["0", "1"]
    with pytest.raises(TypeError, match="takes an int index, got the slice"):
        ml[0:1] = [a]
    with pytest.raises(IndexError, match="index 2 is out of range for length 2"):
        del ml[2]
    del ml[:]
    assert len(ml) == 0


def test_module_list_rejects_non_modules_and_changes_nothing():
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match=r"modules\[1\] must be a lucid.nn.Module, got str 'x'"):
        ml.extend([nn.Tanh(), "x"])
    assert len(ml) == 1
    with pytest.raises(TypeError, match="iterable of Modules, got int"):
        nn.ModuleList(3)
    with pytest.raises(TypeError, match="iterable of Modules, got ReLU"):
        nn.ModuleList(nn.ReLU())
    with pytest.raises(TypeError, match="module must be a lucid.nn.Module, got NoneType"):
        ml.append(None)
    with pytest.raises(TypeError, match="module must be a lucid.nn.Module, got float 1.5"):
        ml.insert(0, 1.5)
    with pytest.raises(NotImplementedError, match="forward"):
        ml(Tensor([1.0]))


# ---- ModuleDict ---------------------------------------------------------------------


def test_module_dict_mapping_api():
    relu, tanh, lin = nn.ReLU(), nn.Tanh(), nn.Linear(2, 2)
    md = nn.ModuleDict({"act": relu, "proj": lin})
    assert len(md) == 2 and "act" in md and "nope" not in md
    assert md["act"] is relu and md.proj is lin
    assert list(md) == ["act", "proj"] and list(md.keys()) == ["act", "proj"]
    assert list(md.values()) == [relu, lin]
    assert list(md.items()) == [("act", relu), ("proj", lin)]
    md["act"] = tanh  # replacing keeps the place in the order
    assert list(md.items()) == [("act", tanh), ("proj", lin)]
    md.update([("extra", nn.Identity())])
    md.update(nn.ModuleDict({"more": nn.Sigmoid()}))
    assert list(md) == ["act", "proj", "extra", "more"]
    assert md.pop("act") is tanh and "act" not in md
    del md["extra"]
    assert list(md) == ["proj", "more"]
    assert list(md.state_dict()) == ["proj.weight", "proj.bias"]
    with pytest.raises(KeyError, match="no module named 'act'"):
        md["act"]
    with pytest.raises(KeyError, match="no module named 'act'"):
        md.pop("act")
    md.clear()
    assert len(md) == 0


def test_module_dict_keeps_insertion_order_not_sorted():
    md = nn.ModuleDict(OrderedDict([("z", nn.ReLU()), ("a", nn.Tanh())]))
    assert list(md) == ["z", "a"]
    assert repr(md) == "ModuleDict(\n  (z): ReLU()\n  (a): Tanh()\n)"


def test_module_dict_errors_name_the_key_or_value_and_change_nothing():
    md = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(TypeError, match="keys must be strings, got int 1"):
        md[1] = nn.ReLU()
    with pytest.raises(TypeError, match="value for 'b' must be a lucid.nn.Module, got int 2"):
        md.update({"c": nn.Tanh(), "b": 2})
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        md.update({"d": nn.Tanh(), "keys": nn.ReLU()})
    with pytest.raises(ValueError, match="element 0 must be a .key, module. pair, got 3 items"):
        md.update([("x", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="element 0 must be a .key, module. pair, got str 'ab'"):
        md.update(["ab"])
    with pytest.raises(TypeError, match="mapping or an iterable .* got int"):
        nn.ModuleDict(5)
    assert list(md) == ["a"]  # no failed update added anything


# ---- Identity and Flatten -----------------------------------------------------------


def test_identity_returns_its_input_and_ignores_arguments():
    x = Tensor([1.0, 2.0], requires_grad=True)
    layer = nn.Identity(54, unused_argument="as in PyTorch")
    assert layer(x) is x and repr(layer) == "Identity()"
    assert list(layer.parameters()) == []


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({}, (2, 60)),
        ({"start_axis": 0}, (120,)),
        ({"start_axis": 1, "end_axis": 2}, (2, 12, 5)),
        ({"start_axis": -2}, (2, 3, 20)),
        ({"start_dim": 2, "end_dim": 3}, (2, 3, 20)),
        ({"start_axis": 2, "end_axis": 2}, (2, 3, 4, 5)),
    ],
)
def test_flatten_shapes(kwargs, shape):
    x = Tensor(np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5))
    y = nn.Flatten(**kwargs)(x)
    assert y.shape == shape
    np.testing.assert_array_equal(y.data.reshape(-1), np.arange(120))


def test_flatten_shares_storage_and_passes_gradients():
    x = Tensor(np.zeros((2, 3, 4)), requires_grad=True)
    y = nn.Flatten()(x)
    with lucid.no_grad():
        y.data[1, 5] = 7.0
    assert x.data[1, 1, 1] == 7.0
    g = np.arange(24, dtype=np.float64).reshape(2, 12)
    (y * Tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad, g.reshape(2, 3, 4))


def test_flatten_repr_zero_d_and_errors():
    assert repr(nn.Flatten()) == "Flatten(start_axis=1, end_axis=-1)"
    assert repr(nn.Flatten(start_dim=0, end_dim=2)) == "Flatten(start_axis=0, end_axis=2)"
    assert nn.Flatten(0)(Tensor(3.0)).shape == (1,)
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"start_axis=2 is out of range .* \(2, 3\)"):
        nn.Flatten(start_axis=2)(x)
    with pytest.raises(ValueError, match=r"end_axis=-3 is out of range"):
        nn.Flatten(0, -3)(x)
    with pytest.raises(ValueError, match="start_axis=1 comes after end_axis=0"):
        nn.Flatten(1, 0)(x)
    with pytest.raises(TypeError, match="start_axis must be an int, got float 1.5"):
        nn.Flatten(1.5)
    with pytest.raises(TypeError, match="end_dim must be an int, got str"):
        nn.Flatten(end_dim="last")
    with pytest.raises(TypeError, match="start_axis= or start_dim="):
        nn.Flatten(start_axis=0, start_dim=1)
    with pytest.raises(TypeError, match="input_ must be a lucid Tensor"):
        nn.Flatten()(np.zeros((2, 3)))


def test_flatten_then_linear_in_a_sequential():
    lucid.random.seed(3)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 2), nn.LogSoftmax(dim=1))
    y = net(Tensor(np.ones((5, 3, 4), np.float32)))
    assert y.shape == (5, 2)
    np.testing.assert_allclose(np.exp(y.data).sum(axis=1), 1.0, rtol=1e-6)
    assert list(net.state_dict()) == ["1.weight", "1.bias"]
