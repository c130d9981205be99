"""nn.ParameterList and nn.ParameterDict: registration (parameters(), state_dict keys,
loading, to()), the list and mapping APIs, renumbering, errors and reprs."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, nn


def param(*values):
    return nn.Parameter(np.array(values, dtype=np.float64))


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([param(1.0), param(2.0, 3.0)])
        self.table = nn.ParameterDict({"scale": param(4.0), "shift": param(5.0)})

    def forward(self, x):
        return x * self.table["scale"] + self.weights[0]


# ---- ParameterList ----------------------------------------------------------------------


def test_list_registers_parameters_under_their_positions():
    a, b, c = param(1.0), param(2.0), param(3.0)
    plist = nn.ParameterList([a, b])
    plist.append(c)
    assert len(plist) == 3 and list(plist) == [a, b, c]
    assert [p is q for p, q in zip(plist.parameters(), [a, b, c], strict=True)] == [True] * 3
    assert list(plist.state_dict()) == ["0", "1", "2"]
    assert [name for name, _ in plist.named_parameters()] == ["0", "1", "2"]
    assert plist[0] is a and plist[-1] is c and getattr(plist, "1") is b


def test_nested_state_dict_keys_and_load_round_trip():
    model = Holder()
    assert list(model.state_dict()) == ["weights.0", "weights.1", "table.scale", "table.shift"]
    other = Holder()
    for p in other.parameters():
        p.data[...] = 0
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.weights[1].data, [2.0, 3.0])
    np.testing.assert_array_equal(other.table["shift"].data, [5.0])
    assert model.count_parameters() == 5


def test_gradients_reach_the_contained_parameters():
    model = Holder()
    model(Tensor(np.array([1.0, 2.0]))).sum().backward()
    np.testing.assert_array_equal(model.table["scale"].grad, [3.0])
    np.testing.assert_array_equal(model.weights[0].grad, [2.0])
    model.zero_grad()
    assert model.weights[0].grad is None or not np.any(model.weights[0].grad)


def test_to_casts_the_contained_parameters():
    model = Holder().to(np.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert isinstance(model.weights[0], nn.Parameter)


def test_list_slicing_setitem_delitem_insert_extend_iadd():
    ps = [param(float(i)) for i in range(5)]
    plist = nn.ParameterList(ps[:3])
    sub = plist[1:]
    assert isinstance(sub, nn.ParameterList) and list(sub) == ps[1:3]
    assert list(sub.state_dict()) == ["0", "1"]
    plist[-1] = ps[4]
    assert plist[2] is ps[4]
    del plist[0]
    assert list(plist) == [ps[1], ps[4]] and list(plist.state_dict()) == ["0", "1"]
    plist.insert(0, ps[0])
    plist.insert(100, ps[3])  # past the end, as list.insert
    assert list(plist) == [ps[0], ps[1], ps[4], ps[3]]
    assert list(plist.state_dict()) == ["0", "1", "2", "3"]
    assert plist.extend([ps[2]]) is plist and plist.append(ps[2]) is plist
    plist += [ps[1]]
    assert len(plist) == 7
    del plist[::2]
    assert list(plist) == [ps[1], ps[3], ps[2]]
    assert list(plist.state_dict()) == ["0", "1", "2"]


def test_list_empty_and_repr():
    assert len(nn.ParameterList()) == 0 and repr(nn.ParameterList()) == "ParameterList()"
    plist = nn.ParameterList([param(1.0), param(0.0, 0.0)])
    lines = repr(plist).split("\n")
    assert lines[0] == "ParameterList(" and lines[-1] == ")"
    assert lines[1] == "  (0): " + repr(plist[0])
    assert lines[2] == "  (1): " + repr(plist[1])
    assert "(weights): ParameterList(\n    (0): " in repr(Holder())


def test_list_errors():
    plist = nn.ParameterList([param(1.0)])
    with pytest.raises(IndexError, match="index 1 is out of range for length 1"):
        plist[1]
    with pytest.raises(IndexError):
        plist[-2] = param(2.0)
    with pytest.raises(TypeError, match="indices must be integers or slices"):
        plist["0"]
    with pytest.raises(TypeError, match="must be a lucid.nn.Parameter, got Tensor"):
        plist.append(Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="got ndarray"):
        plist[0] = np.ones(2)
    with pytest.raises(TypeError, match=r"parameters\[1\] must be a lucid.nn.Parameter"):
        plist.extend([param(2.0), None])
    assert len(plist) == 1  # a bad extend adds nothing
    with pytest.raises(TypeError, match="iterable of Parameters"):
        nn.ParameterList(param(1.0))
    with pytest.raises(TypeError, match="index must be an int"):
        plist.insert(0.5, param(1.0))
    with pytest.raises(TypeError, match="takes an int index"):
        plist[0:1] = [param(1.0)]
    with pytest.raises(NotImplementedError):
        plist(Tensor(np.ones(1)))


# ---- ParameterDict ----------------------------------------------------------------------


def test_dict_registers_parameters_under_their_names():
    a, b = param(1.0), param(2.0)
    pdict = nn.ParameterDict({"a": a})
    pdict["b"] = b
    assert len(pdict) == 2 and list(pdict) == ["a", "b"]
    assert list(pdict.keys()) == ["a", "b"] and list(pdict.values()) == [a, b]
    assert list(pdict.items()) == [("a", a), ("b", b)]
    assert list(pdict.state_dict()) == ["a", "b"] and pdict.a is a
    assert "a" in pdict and "c" not in pdict
    assert list(pdict.parameters()) == [a, b]


def test_dict_update_from_pairs_and_another_dict_keeps_order_and_replaces():
    a, b, c = param(1.0), param(2.0), param(3.0)
    pdict = nn.ParameterDict([("x", a), ("y", b)])
    pdict.update(nn.ParameterDict({"y": c, "z": a}))
    assert list(pdict) == ["x", "y", "z"] and pdict["y"] is c
    copy = pdict.copy()
    assert isinstance(copy, nn.ParameterDict) and list(copy.items()) == list(pdict.items())


def test_dict_pop_popitem_get_setdefault_clear_delitem():
    a, b = param(1.0), param(2.0)
    pdict = nn.ParameterDict({"a": a, "b": b})
    assert pdict.get("a") is a and pdict.get("zz") is None and pdict.get("zz", 3) == 3
    assert pdict.pop("a") is a and list(pdict.state_dict()) == ["b"]
    assert pdict.pop("a", None) is None
    assert pdict.setdefault("c", a) is a and pdict.setdefault("c", b) is a
    assert pdict.popitem() == ("c", a)
    del pdict["b"]
    assert len(pdict) == 0
    pdict["d"] = b
    pdict.clear()
    assert list(pdict.state_dict()) == []


def test_dict_repr():
    assert repr(nn.ParameterDict()) == "ParameterDict()"
    pdict = nn.ParameterDict({"w": param(1.0, 2.0)})
    assert repr(pdict) == "ParameterDict(\n  (w): " + repr(pdict["w"]) + "\n)"


def test_dict_errors():
    pdict = nn.ParameterDict({"a": param(1.0)})
    with pytest.raises(KeyError, match="no parameter named 'b'"):
        pdict["b"]
    with pytest.raises(KeyError):
        del pdict["b"]
    with pytest.raises(KeyError):
        pdict.pop("b")
    with pytest.raises(KeyError, match="empty"):
        nn.ParameterDict().popitem()
    with pytest.raises(TypeError, match="keys must be strings"):
        pdict[1] = param(1.0)
    with pytest.raises(TypeError, match="must be a lucid.nn.Parameter, got Tensor"):
        pdict["t"] = lucid.ones((2,))
    with pytest.raises(KeyError, match="contain"):
        pdict["a.b"] = param(1.0)
    with pytest.raises(KeyError, match="already exists"):
        pdict["keys"] = param(1.0)
    with pytest.raises(TypeError, match="mapping or an iterable"):
        nn.ParameterDict(3)
    with pytest.raises(ValueError, match=r"\(key, parameter\) pair, got 3 items"):
        nn.ParameterDict([("a", param(1.0), 2)])
    with pytest.raises(TypeError, match="must be a lucid.nn.Parameter"):
        pdict.update({"b": param(2.0), "c": 3.0})
    assert list(pdict) == ["a"]  # a bad update changes nothing
