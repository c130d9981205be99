"""The Optimizer base, through SGD, Adam and AdamW: parameter groups, zero_grad, step's
closure, state_dict / load_state_dict in PyTorch's layout, and argument errors."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn, optim

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.01, "betas": (0.8, 0.95)}),
]
IDS = ["SGD", "Adam", "AdamW"]


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(self.hidden(x) * self.hidden(x))


def batch(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    return Tensor(x), Tensor(rng.standard_normal((16, 2)).astype(np.float32))


def train(model, opt, seeds):
    for seed in seeds:
        x, y = batch(seed)
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def params_of(model):
    return [p.data.copy() for p in model.parameters()]


def two_groups(cls, model, config):
    return cls(
        [
            {"params": model.hidden.parameters()},
            {"params": model.out.parameters(), "lr": config["lr"] / 2},
        ],
        **config,
    )


# ---- state dicts ----------------------------------------------------------------------


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_state_dict_has_pytorchs_layout(cls, config):
    lucid.random.seed(0)
    model = MLP()
    opt = two_groups(cls, model, config)
    train(model, opt, [1])
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == config["lr"] / 2
    assert sd["param_groups"][0]["lr"] == config["lr"]
    for group in sd["param_groups"]:
        assert set(group) == set(opt.defaults) | {"params"}
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    params = list(model.parameters())
    for index, state in sd["state"].items():
        for key, value in state.items():
            if key == "step":
                assert value == 1
            else:
                assert isinstance(value, Tensor) and value.shape == params[index].shape
    # The state is shared, not copied, as PyTorch's is.
    some = next(v for v in sd["state"][0].values() if isinstance(v, Tensor))
    assert any(v is some for v in opt.state[params[0]].values())


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_a_loaded_state_dict_continues_identically(cls, config):
    lucid.random.seed(0)
    model = MLP()
    opt = two_groups(cls, model, config)
    train(model, opt, [1, 2, 3])

    lucid.random.seed(99)  # other initial values, to be overwritten by the load
    clone = MLP()
    clone.load_state_dict(model.state_dict())
    clone_opt = two_groups(cls, clone, {**config, "lr": 123.0})
    clone_opt.load_state_dict(opt.state_dict())
    assert clone_opt.param_groups[0]["lr"] == config["lr"]  # hyperparameters restored

    train(model, opt, [4, 5, 6])
    train(clone, clone_opt, [4, 5, 6])
    for a, b in zip(params_of(model), params_of(clone), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_a_fresh_optimiser_would_not_continue_identically(cls, config):
    # Guards the test above: without the loaded state the continuation differs.
    lucid.random.seed(0)
    model = MLP()
    opt = cls(model.parameters(), **config)
    train(model, opt, [1, 2, 3])
    clone = MLP()
    clone.load_state_dict(model.state_dict())
    clone_opt = cls(clone.parameters(), **config)
    train(model, opt, [4])
    train(clone, clone_opt, [4])
    assert not all(
        np.array_equal(a, b) for a, b in zip(params_of(model), params_of(clone), strict=True)
    )


def test_load_state_dict_copies_into_storage_of_the_params_dtype():
    p = nn.Parameter(np.zeros(3), dtype=np.float32)
    opt = optim.Adam([p])
    saved = {
        "state": {0: {"step": np.int64(4), "exp_avg": np.arange(3.0), "exp_avg_sq": np.ones(3)}},
        "param_groups": [{**opt.defaults, "params": [0]}],
    }
    opt.load_state_dict(saved)
    state = opt.state[p]
    assert state["step"] == 4 and type(state["step"]) is int
    for key in ("exp_avg", "exp_avg_sq"):
        assert state[key].dtype == np.float32 and _storage.is_storage_view(state[key].data)
    saved["state"][0]["exp_avg"][:] = 7.0  # a copy: the source is not aliased
    np.testing.assert_array_equal(state["exp_avg"].data, [0.0, 1.0, 2.0])


def test_a_failed_load_changes_nothing():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = np.ones(2, dtype=np.float32)
    opt.step()
    before = opt.state_dict()
    good = {"state": {}, "param_groups": [{**opt.defaults, "lr": 0.5, "params": [0, 1]}]}

    def broken(**changes):
        return {**good, **changes}

    cases = [
        (broken(param_groups=[]), r"0 parameter groups, the optimizer has 1"),
        (
            broken(param_groups=[{**opt.defaults, "params": [0]}]),
            r"group 0 does not match the size",
        ),
        (broken(state={5: {"momentum_buffer": np.zeros(2)}}), r"parameter 5"),
        (broken(state={1: {"momentum_buffer": np.zeros(2)}}), r"shape \(2,\).*shape \(3,\)"),
        (broken(param_groups=[{**opt.defaults, "lr": -1.0, "params": [0, 1]}]), r"lr=-1.0"),
        ({"state": {}}, r"'state' and 'param_groups'"),
    ]
    for bad, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            opt.load_state_dict(bad)
        assert opt.param_groups[0]["lr"] == 0.1
        assert opt.state_dict()["state"].keys() == before["state"].keys()
        assert opt.state[a]["momentum_buffer"] is before["state"][0]["momentum_buffer"]


# ---- groups, zero_grad, step ----------------------------------------------------------


def test_groups_take_defaults_and_their_own_overrides():
    a, b = nn.Parameter(np.zeros(2), dtype=np.float64), nn.Parameter(np.zeros(2), np.float64)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1, momentum=0.5)
    assert len(opt.param_groups[0]["params"]) == 1 and opt.param_groups[0]["params"][0] is a
    assert opt.param_groups[1]["params"][0] is b  # a lone Parameter becomes a list
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert all(g["momentum"] == 0.5 for g in opt.param_groups)
    a.grad = _storage.copy_of(np.ones(2), np.float64)
    b.grad = _storage.copy_of(np.ones(2), np.float64)
    opt.step()
    np.testing.assert_array_equal(a.data, [-0.1, -0.1])
    np.testing.assert_array_equal(b.data, [-1.0, -1.0])
    c = nn.Parameter(np.zeros(1))
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0


def test_a_changed_learning_rate_takes_effect_at_the_next_step():
    p = nn.Parameter(np.zeros(1), dtype=np.float64)
    opt = optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = 2.0
    p.grad = _storage.copy_of(np.ones(1), np.float64)
    opt.step()
    np.testing.assert_array_equal(p.data, [-2.0])


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_zero_grad_sets_none_or_zeros_in_place(cls, config):
    model = MLP()
    opt = cls(model.parameters(), **config)
    x, y = batch(0)
    ((model(x) - y) ** 2).mean().backward()
    grads = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads, strict=True):
        assert p.grad is g and not g.any()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    before = params_of(model)
    opt.step()  # no gradients: nothing moves, no state
    for a, b in zip(before, params_of(model), strict=True):
        np.testing.assert_array_equal(a, b)
    assert opt.state_dict()["state"] == {}


def test_step_calls_the_closure_with_grad_enabled_and_returns_its_loss():
    p = nn.Parameter(np.array([3.0]), dtype=np.float64)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with lucid.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_array_equal(p.data, [3.0 - 0.25 * 6.0])


def test_a_gradient_of_the_wrong_shape_is_an_error():
    p = nn.Parameter(np.zeros(3))
    opt = optim.SGD([p])
    p.grad = np.zeros(4, dtype=np.float32)
    with pytest.raises(ValueError, match=r"gradient has shape \(4,\).*shape \(3,\)"):
        opt.step()


def test_repr_lists_each_group():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5" in text


# ---- argument errors ------------------------------------------------------------------


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW])
def test_bad_params_are_errors(cls):
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="empty parameter list"):
        cls(nn.Module().parameters())
    with pytest.raises(TypeError, match=r"Parameters only, but params\[1\] is Tensor"):
        cls([p, Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(TypeError, match=r"params\[0\] is ndarray"):
        cls([np.zeros(2)])
    with pytest.raises(TypeError, match="got Parameter"):
        cls(p)
    with pytest.raises(TypeError, match="ordered collection"):
        cls({p})
    with pytest.raises(TypeError, match="not both"):
        cls([p, {"params": [nn.Parameter(np.zeros(1))]}])
    with pytest.raises(ValueError, match="more than once"):
        cls([p, p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        cls([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match="'params' entry"):
        cls([{"lr": 0.1}])
    with pytest.raises(TypeError, match=r"param_groups\[0\]\['params'\]\[0\] is int"):
        cls([{"params": [1]}])
