"""The optimisers' and initialisers' positional orders are lucid's: code that passes
hyperparameters by position gets the same update as the keyword spelling."""

import inspect

import numpy as np
import pytest

import lucid
from lucid import nn, optim
from lucid.nn import init


def positional(fn):
    return [
        name
        for name, param in inspect.signature(fn).parameters.items()
        if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]


@pytest.mark.parametrize(
    "cls, names",
    [
        (optim.SGD, ["self", "params", "lr", "momentum", "weight_decay"]),
        (optim.Adam, ["self", "params", "lr", "betas", "eps", "weight_decay", "amsgrad"]),
        (optim.AdamW, ["self", "params", "lr", "betas", "eps", "weight_decay", "amsgrad"]),
    ],
)
def test_positional_order_is_lucids(cls, names):
    assert positional(cls.__init__) == names


def test_sgd_defaults_and_keyword_only_extras():
    params = inspect.signature(optim.SGD.__init__).parameters
    assert params["lr"].default == 1e-3
    assert params["momentum"].default == 0 and params["weight_decay"].default == 0
    for name in ("dampening", "nesterov"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY


def steps(make, n=3):
    p = nn.Parameter(np.array([1.0, -2.0, 0.5]))
    opt = make([p])
    for _ in range(n):
        p.grad = np.array([0.25, 0.5, -1.0]) + p.data
        opt.step()
    return p.data.copy()


@pytest.mark.parametrize(
    "by_position, by_keyword",
    [
        (
            lambda ps: optim.SGD(ps, 0.1, 0.9, 0.01),
            lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        ),
        (
            lambda ps: optim.Adam(ps, 0.05, (0.8, 0.9), 1e-6, 0.1, True),
            lambda ps: optim.Adam(
                ps, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=True
            ),
        ),
        (
            lambda ps: optim.AdamW(ps, 0.05, (0.8, 0.9), 1e-6, 0.1),
            lambda ps: optim.AdamW(ps, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1),
        ),
    ],
    ids=["SGD", "Adam", "AdamW"],
)
def test_positional_and_keyword_spellings_give_the_same_steps(by_position, by_keyword):
    np.testing.assert_array_equal(steps(by_position), steps(by_keyword))


def test_sgd_fourth_argument_is_weight_decay():
    # One step from p = 1 with gradient 0: only weight decay moves it, p ← p − lr·λ·p.
    p = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([p], 0.5, 0.0, 0.2)
    p.grad = np.zeros(1)
    opt.step()
    assert p.data[0] == 1.0 - 0.5 * 0.2


def test_sgd_dampening_and_nesterov_by_position_are_refused():
    with pytest.raises(TypeError):
        optim.SGD([nn.Parameter(np.ones(1))], 0.1, 0.9, 0.0, 0.5)


@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_kaiming_takes_mode_second_and_the_underscore_form_takes_pytorchs_order(name):
    lucids, pytorchs = getattr(init, name), getattr(init, name + "_")
    assert positional(lucids) == ["tensor", "mode"]
    assert positional(pytorchs) == ["tensor", "a", "mode", "nonlinearity", "generator"]

    def draw(fill, *args, **kwargs):
        lucid.random.seed(21)
        return fill(lucid.zeros(40, 30), *args, **kwargs).data.copy()

    fan_out = draw(lucids, "fan_out")
    np.testing.assert_array_equal(fan_out, draw(lucids, mode="fan_out"))
    np.testing.assert_array_equal(fan_out, draw(pytorchs, 0, "fan_out"))
    assert not np.array_equal(fan_out, draw(lucids, "fan_in"))  # the fan is 40, not 30
    # fan_out = 40 rows: bound sqrt(6 / 40) for kaiming_uniform, std sqrt(2 / 40) for normal.
    if name == "kaiming_uniform":
        assert np.abs(fan_out).max() <= np.float32(np.sqrt(6 / 40))
        assert np.abs(draw(lucids, "fan_in")).max() > np.sqrt(6 / 40)  # bound sqrt(6 / 30)


def test_kaiming_with_a_number_for_mode_says_which_order_it_takes():
    with pytest.raises(ValueError, match=r"mode must be .*got 2\.0 \(lucid's order"):
        init.kaiming_uniform(lucid.zeros(3, 3), 2.0)


@pytest.mark.parametrize(
    "fn, names",
    [
        (init.uniform, ["tensor", "a", "b", "generator"]),
        (init.normal, ["tensor", "mean", "std", "generator"]),
        (init.constant, ["tensor", "val"]),
        (init.xavier_uniform, ["tensor", "gain", "generator"]),
        (init.xavier_normal, ["tensor", "gain", "generator"]),
    ],
)
def test_the_other_initialisers_keep_lucids_order(fn, names):
    assert positional(fn) == names
