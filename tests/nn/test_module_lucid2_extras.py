"""lucid 2.x's Module extras: the layer decorators nn.auto_repr and
nn.set_state_dict_pass_attr, and load_state_dict(verbose=, progress_desc=)."""

import numpy as np
import pytest

import lucid.nn as nn


@nn.set_state_dict_pass_attr("scale", "counts")
@nn.auto_repr("size", "eps", "missing")
class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.size, self.eps = 3, 1e-5
        self.scale = nn.Parameter([1.0])
        self.weight = nn.Parameter([2.0, 3.0])
        self.register_buffer("counts", np.zeros(2))
        self.register_buffer("kept", np.ones(1))


def test_auto_repr_lists_the_named_attributes_none_for_an_unset_one():
    assert repr(Layer()) == "Layer(size=3, eps=1e-05, missing=None)"
    with pytest.raises(TypeError, match="identifiers"):
        nn.auto_repr("a b")


def test_passed_attributes_stay_out_of_state_dict_and_load_and_nested_keys_follow():
    m = Layer()
    assert list(m.state_dict()) == ["weight", "kept"]
    outer = nn.Sequential(Layer())
    assert list(outer.state_dict()) == ["0.weight", "0.kept"]
    result = m.load_state_dict({"weight": np.array([7.0, 8.0]), "kept": np.zeros(1)})
    assert result == ([], []) and m.weight.data.tolist() == [7.0, 8.0]
    assert m.scale.data.tolist() == [1.0]  # not in the dict, not expected
    assert [name for name, _ in m.named_parameters()] == ["scale", "weight"]  # still trained
    with pytest.raises(TypeError, match="identifiers"):
        nn.set_state_dict_pass_attr(3)


def test_a_passed_submodule_leaves_all_its_keys_out():
    @nn.set_state_dict_pass_attr("backbone")
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone, self.head = nn.Linear(2, 2), nn.Linear(2, 1)

    assert list(Net().state_dict()) == ["head.weight", "head.bias"]


def test_load_state_dict_verbose_shows_progress_on_stderr_and_clears_it(capsys):
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    sd = m.state_dict()
    m.load_state_dict(sd, verbose=True, progress_desc="restoring")
    err = capsys.readouterr().err
    assert "restoring: 4/4 param" in err and err.endswith("\r") and "restoring: 1/4" in err
    m.load_state_dict(sd, verbose=True)
    assert "Applying state-dict: 4/4 param" in capsys.readouterr().err
    m.load_state_dict(sd)
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="verbose must be a bool"):
        m.load_state_dict(sd, verbose="yes")
    with pytest.raises(TypeError, match="progress_desc must be a str"):
        m.load_state_dict(sd, verbose=True, progress_desc=3)
