"""Version counters: the number after each kind of write, and counters shared over
one storage. The saved-version check of every Function is in test_saved_versions.py."""

import importlib
import operator

import numpy as np
import pytest
from _writes import leaf

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

# By module: lucid.nn.functional's names (dropout, linear) hide its submodules.
act, drop, lin, loss = (
    importlib.import_module(f"lucid.nn.functional.{m}")
    for m in ("activation", "dropout", "linear", "loss")
)


# ---- the version after each kind of write ----------------------------------------------


def test_a_new_tensor_is_at_version_zero_and_ops_do_not_write():
    x = leaf(3)
    y = (x * 2.0).exp()
    assert x._version == 0 and y._version == 0
    assert lucid.zeros(2)._version == 0 and Tensor(x)._version == 0  # a copy has its own


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul, operator.itruediv])
def test_each_in_place_operator_bumps_once_and_keeps_the_tensor(op):
    x = Tensor([1.0, 2.0])
    data, y = x.data, x
    for n in range(1, 4):
        y = op(y, 2.0)
        assert y is x and x.data is data and x._version == n and x.is_leaf


def test_setitem_bumps_once_per_assignment():
    x = lucid.zeros(2, 3)
    x[0] = 1.0
    x[1, 1:] = Tensor([2.0, 3.0])
    x[np.array([0, 1]), 0] = 5.0
    assert x._version == 3
    np.testing.assert_array_equal(x.data, [[5, 1, 1], [5, 2, 3]])


@pytest.mark.parametrize(
    "fn",
    [F.relu, F.selu, F.elu, F.leaky_relu],
    ids=lambda f: f.__name__,
)
def test_inplace_activations_bump_once(fn):
    x = Tensor([-1.0, 1.0])
    assert fn(x, inplace=True) is x and x._version == 1
    assert fn(x) is not x and x._version == 1


DROPOUTS = [
    (F.dropout, (4, 3)),
    (F.alpha_dropout, (4, 3)),
    (F.feature_alpha_dropout, (4, 3, 2)),
    (F.dropout1d, (4, 3, 2)),
    (F.dropout2d, (4, 3, 2, 2)),
    (F.dropout3d, (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("fn, shape", DROPOUTS, ids=lambda v: getattr(v, "__name__", ""))
def test_inplace_dropout_bumps_once_and_eval_or_p0_does_not_write(fn, shape):
    x = lucid.ones(*shape)
    assert fn(x, 0.5, True, True) is x and x._version == 1
    assert fn(x, 0.5, False, True) is x and x._version == 1  # eval: nothing written
    assert fn(x, 0.0, True, True) is x and x._version == 1  # p = 0: nothing written
    assert fn(x, 0.5, True, False) is not x and x._version == 1


def test_a_refused_write_does_not_bump():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for bad in (lambda: x.__iadd__(1.0), lambda: x.__setitem__(0, 1.0)):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            bad()
    y = Tensor(np.array([1, 2]))  # int64
    with pytest.raises(TypeError, match=r"/=: the result would be float64.*int64"):
        y /= 2
    with pytest.raises(ValueError, match=r"shape \(3,\) does not broadcast.*\(2,\)"):
        y += Tensor([1, 2, 3])
    assert x._version == 0 and y._version == 0 and y.data.tolist() == [1, 2]


def test_no_grad_writes_into_a_leaf_that_requires_grad_bump_and_keep_it_a_leaf():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with lucid.no_grad():
        x *= 3.0
        x[0] = 0.0
    assert x._version == 2 and x.is_leaf and x.requires_grad and x.data.tolist() == [0, 6]


def _step(opt, params):
    for p in params:
        p.grad = np.ones(p.shape)
    opt.step()


def test_an_optimizer_step_is_one_write_per_parameter_and_state_tensor():
    p, q, idle = (nn.Parameter(np.ones(3)) for _ in range(3))
    sgd = lucid.optim.SGD([p], lr=0.1)
    _step(sgd, [p])
    _step(sgd, [p])
    assert p._version == 2
    momentum = lucid.optim.SGD([q], lr=0.1, momentum=0.9, weight_decay=0.1)
    _step(momentum, [q])
    _step(momentum, [q])
    assert q._version == 2 and momentum.state[q]["momentum_buffer"]._version == 1
    for cls, kw in [(lucid.optim.Adam, {}), (lucid.optim.AdamW, {"amsgrad": True})]:
        r = nn.Parameter(np.ones(3))
        opt = cls([r, idle], lr=0.1, **kw)
        for _ in range(3):
            _step(opt, [r])
        state = opt.state[r]
        assert r._version == 3 and idle._version == 0  # no grad: not written
        assert state["exp_avg"]._version == 3 and state["exp_avg_sq"]._version == 3
        if kw:
            assert state["max_exp_avg_sq"]._version == 3


INITS = [
    lambda t: nn.init.uniform_(t, -1, 1),
    lambda t: nn.init.normal_(t),
    lambda t: nn.init.constant_(t, 0.5),
    nn.init.xavier_uniform_,
    nn.init.xavier_normal_,
    nn.init.kaiming_uniform_,
    nn.init.kaiming_normal_,
    nn.init.lecun_uniform_,
    nn.init.lecun_normal_,
]


@pytest.mark.parametrize("init", INITS)
def test_each_init_is_one_write_and_allowed_on_a_parameter_in_grad_mode(init):
    w = nn.Parameter(np.zeros((4, 3)))
    assert init(w) is w and w._version == 1 and w.is_leaf


# ---- counters shared over one storage -------------------------------------------------


def test_load_state_dict_is_one_write_per_tensor_and_saved_weights_then_raise():
    model = nn.Linear(3, 2)
    x = lucid.random.randn(4, 3, requires_grad=True)
    y = model(x).sum()  # dx reads the weight
    before = (model.weight._version, model.bias._version)
    model.load_state_dict(model.state_dict())
    assert (model.weight._version, model.bias._version) == (before[0] + 1, before[1] + 1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_reshapes_and_detach_share_the_counter_of_their_storage():
    x = Tensor(np.arange(6.0), requires_grad=True)
    views = [x.reshape(2, 3), x.detach(), x.reshape(3, 2).reshape(6), x.detach().reshape(1, 6)]
    with lucid.no_grad():
        x += 1.0
    assert [v._version for v in views] == [1, 1, 1, 1]
    views[1] += 1.0  # a detached tensor does not require grad: writable in grad mode
    assert x._version == 2 and all(v._version == 2 for v in views)
    np.testing.assert_array_equal(views[0].data.ravel(), np.arange(6.0) + 2)


def test_new_storage_through_data_has_a_counter_of_its_own():
    x = Tensor([1.0, 2.0])
    v, d = x.reshape(2, 1), x.detach()
    x += 1.0
    x.data = np.zeros(2)  # not a write into the old storage: no bump, and views part ways
    assert x._version == 1
    v += 1.0
    d += 1.0
    assert x._version == 1 and v._version == d._version == 3
    assert x.data.tolist() == [0, 0] and v.data.ravel().tolist() == [4, 5]
