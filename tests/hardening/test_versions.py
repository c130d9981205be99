"""Version counters: the number after each kind of write, counters shared over one
storage, and the saved-version check of every Function that saves something.

Every Function in lucid is in exactly one of two tables: SAVES (backward reads a
tensor's values, so a write into that tensor after forward must make backward raise)
or KEEPS_NOTHING (backward reads only shapes, masks or copies, so the same write must
not matter). The coverage test fails when a new Function is in neither.
"""

import importlib
import operator
import re

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid._ops import (
    elementwise,
    linalg,
    matrices,
    movement,
    ordering,
    reduce,
    repeats,
    scans,
    unary,
)
from lucid.autograd import Function, Kernel

# By module: lucid.nn.functional's names (dropout, linear) hide its submodules.
act, drop, lin, loss = (
    importlib.import_module(f"lucid.nn.functional.{m}")
    for m in ("activation", "dropout", "linear", "loss")
)

RNG = np.random.default_rng(0)


def leaf(*shape, low=-2.0, high=2.0):
    return Tensor(RNG.uniform(low, high, shape), requires_grad=True)


def write(tensor):
    """One in-place write through lucid, outside the graph."""
    with lucid.no_grad():
        if tensor.dtype == np.bool_:
            tensor[...] = ~tensor.data
        else:
            tensor += 0.25


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


# ---- every Function that saves a tensor raises once it is written ----------------------


def _prob(*shape):
    return leaf(*shape, low=0.1, high=0.9)


# name: (the Function class, build: () -> (result, the saved tensor to write, what))
SAVES = {
    "Mul": (elementwise.Mul, lambda x, w: (x * w, x, "input 0")),
    "Div": (elementwise.Div, lambda x, w: (x / w, w, "input 1")),
    "Pow": (elementwise.Pow, lambda x, w: (x**3, x, "input 0")),
    "MatMul": (linalg.MatMul, lambda x, w: (x @ (v := w.reshape(3, 1)), v, "input 1")),
    "Exp": (elementwise.Exp, lambda x, w: (y := x.exp(), y, "the output")),
    "Log": (elementwise.Log, lambda x, w: ((p := _prob(3)).log(), p, "input 0")),
    "Sqrt": (elementwise.Sqrt, lambda x, w: (y := _prob(3).sqrt(), y, "the output")),
    "Abs": (elementwise.Abs, lambda x, w: (x.abs(), x, "input 0")),
    "Clip": (elementwise.Clip, lambda x, w: (x.clip(-1, 1), x, "input 0")),
    "Maximum": (elementwise.Maximum, lambda x, w: (lucid.maximum(x, w), w, "input 1")),
    "Minimum": (elementwise.Minimum, lambda x, w: (lucid.minimum(x, w), x, "input 0")),
    "Max": (reduce.Max, lambda x, w: (x.max(), x, "input 0")),
    "Min": (reduce.Min, lambda x, w: (y := x.min(), y, "the output")),
    "Where": (
        movement.Where,
        lambda x, w: (lucid.where(c := Tensor([True, False, True]), x, w), c, "input 0"),
    ),
    "Sin": (unary.Sin, lambda x, w: (lucid.sin(x), x, "input 0")),
    "Cos": (unary.Cos, lambda x, w: (lucid.cos(x), x, "input 0")),
    "Tan": (unary.Tan, lambda x, w: (y := lucid.tan(x), y, "the output")),
    "Arcsin": (unary.Arcsin, lambda x, w: (lucid.arcsin(p := _prob(3)), p, "input 0")),
    "Arccos": (unary.Arccos, lambda x, w: (lucid.arccos(p := _prob(3)), p, "input 0")),
    "Arctan": (unary.Arctan, lambda x, w: (lucid.arctan(x), x, "input 0")),
    "Sinh": (unary.Sinh, lambda x, w: (lucid.sinh(x), x, "input 0")),
    "Cosh": (unary.Cosh, lambda x, w: (lucid.cosh(x), x, "input 0")),
    "Log2": (unary.Log2, lambda x, w: (lucid.log2(p := _prob(3)), p, "input 0")),
    "Reciprocal": (unary.Reciprocal, lambda x, w: (y := lucid.reciprocal(x), y, "the output")),
    "Square": (unary.Square, lambda x, w: (lucid.square(x), x, "input 0")),
    "Cumprod": (scans.Cumprod, lambda x, w: (lucid.cumprod(x), x, "input 0")),
    "Cube": (unary.Cube, lambda x, w: (lucid.cube(x), x, "input 0")),
    "ELU": (act.ELU, lambda x, w: (F.elu(x), x, "input 0")),
    "SELU": (act.SELU, lambda x, w: (F.selu(x), x, "input 0")),
    "GELU": (act.GELU, lambda x, w: (F.gelu(x), x, "input 0")),
    "Tanh": (act.Tanh, lambda x, w: (y := F.tanh(x), y, "the output")),
    "Sigmoid": (act.Sigmoid, lambda x, w: (y := F.sigmoid(x), y, "the output")),
    "Softmax": (act.Softmax, lambda x, w: (y := F.softmax(x), y, "the output")),
    "LogSoftmax": (act.LogSoftmax, lambda x, w: (y := F.log_softmax(x), y, "the output")),
    "_Linear": (
        lin._Linear,
        lambda x, w: (F.linear(x.reshape(1, 3), v := w.reshape(1, 3)), v, "input 1"),
    ),
    "BCEFunction": (
        loss.BCEFunction,
        lambda x, w: (F.binary_cross_entropy(_prob(3), t := _prob(3)), t, "input 1"),
    ),
    "BCEWithLogitsFunction": (
        loss.BCEWithLogitsFunction,
        lambda x, w: (F.binary_cross_entropy_with_logits(x, t := _prob(3)), t, "input 1"),
    ),
}

CE_TARGET = np.array([1, 0])

# name: (the Function class, build: (x of shape (3,), w of shape (3,)) -> result)
KEEPS_NOTHING = {
    "Add": (elementwise.Add, lambda x, w: x + w),
    "Sub": (elementwise.Sub, lambda x, w: x - w),
    "Neg": (elementwise.Neg, lambda x, w: -x),
    "Sum": (reduce.Sum, lambda x, w: x.sum()),
    "Mean": (reduce.Mean, lambda x, w: x.mean()),
    "Reshape": (movement.Reshape, lambda x, w: x.reshape(3, 1)),
    "Transpose": (movement.Transpose, lambda x, w: x.reshape(3, 1).T),
    "GetItem": (movement.GetItem, lambda x, w: x[np.array([2, 0, 2])]),
    "SetItem": (movement.SetItem, lambda x, w: _set(x * 1.0, w)),
    "Cast": (elementwise.Cast, lambda x, w: x.astype(np.float32)),
    "Concatenate": (movement.Concatenate, lambda x, w: lucid.concatenate([x, w])),
    "Stack": (movement.Stack, lambda x, w: lucid.stack([x, w])),
    "Triangle": (matrices.Triangle, lambda x, w: lucid.tril(x.reshape(3, 1) + w)),
    "Trace": (matrices.Trace, lambda x, w: lucid.trace(x.reshape(3, 1) + w).reshape(1)),
    "Cumsum": (scans.Cumsum, lambda x, w: lucid.cumsum(x)),
    "Sort": (ordering.Sort, lambda x, w: lucid.sort(x)[0]),
    "Tile": (repeats.Tile, lambda x, w: lucid.tile(x, (2, 1))),
    "Repeat": (repeats.Repeat, lambda x, w: lucid.repeat(x, [1, 0, 2])),
    "Mul by a number": (elementwise.Mul, lambda x, w: x * 3.0),
    "ReLU": (act.ReLU, lambda x, w: F.relu(x)),
    "LeakyReLU": (act.LeakyReLU, lambda x, w: F.leaky_relu(x, 0.1)),
    "ElementDropout": (drop.ElementDropout, lambda x, w: F.alpha_dropout(x, 0.5)),
    "RowDropout": (drop.RowDropout, lambda x, w: F.dropout1d(x.reshape(3, 1), 0.5)),
    "MaskDropout": (
        drop.MaskDropout,
        lambda x, w: F.alpha_dropout(lucid.stack([x, x]), 0.5, noise_shape=(1, 3)),
    ),
    "MSELossFunction": (loss.MSELossFunction, lambda x, w: F.mse_loss(x, w)),
    "CrossEntropyFunction": (
        loss.CrossEntropyFunction,
        lambda x, w: F.cross_entropy(x.reshape(1, 3), CE_TARGET[:1], label_smoothing=0.1),
    ),
    "NLLLossFunction": (loss.NLLLossFunction, lambda x, w: F.nll_loss(x.reshape(1, 3), [2])),
}


def _set(a, w):
    a[1:] = w[:2]
    return a


ABSTRACT = {
    Kernel,
    act.RustActivation,
    drop.DropoutKernel,
    reduce._Reduce,
    elementwise._Pairwise,
    reduce._Extreme,
    act._AlongAxis,
    unary._OfInput,
}


def _all_functions():
    found, todo = set(), [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("lucid.") and sub not in ABSTRACT:
                found.add(sub)
    return found


def test_every_function_is_in_one_table_and_the_tables_match_the_declarations():
    saving = {cls for cls, _ in SAVES.values()}
    keeping = {cls for cls, _ in KEEPS_NOTHING.values()}
    assert saving.isdisjoint(keeping - {elementwise.Mul})
    assert _all_functions() == saving | keeping
    for cls in saving:
        assert cls.saved_inputs or cls.saved_output, cls
    for cls in keeping - {elementwise.Mul}:
        assert not cls.saved_inputs and not cls.saved_output, cls


@pytest.mark.parametrize("name", SAVES)
def test_writing_a_saved_tensor_makes_backward_raise_naming_the_op_and_tensor(name):
    cls, build = SAVES[name]
    x, w = leaf(3), leaf(3)
    result, saved, what = build(x, w)
    assert type(result._ctx) is cls
    op, shape, dtype = cls.__name__, saved.shape, saved.dtype
    write(saved)
    message = (
        f"{op}: one of the variables needed for gradient computation has been modified by "
        f"an inplace operation: {what} of {op} (a {dtype} tensor of shape {shape}) is at "
        "version 1; expected version 0 instead"
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        result.sum().backward()


@pytest.mark.parametrize("name", KEEPS_NOTHING)
def test_writing_the_input_of_an_op_that_saves_nothing_changes_no_gradient(name):
    _, build = KEEPS_NOTHING[name]
    grads = []
    for written in (False, True):
        lucid.random.seed(5)  # the same dropout masks for both
        x, w = (Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True) for _ in range(2))
        result = build(x, w)
        if written:
            write(x)
            write(w)
        (result * Tensor(np.linspace(1, 2, result.size).reshape(result.shape))).sum().backward()
        grads.append((x.grad, w.grad))
    for before, after in zip(*grads, strict=True):
        np.testing.assert_array_equal(before, after)


def test_mul_saves_each_operand_only_for_the_other_ones_gradient():
    x, c = leaf(3), Tensor([1.0, 2.0, 3.0])  # c needs no gradient
    y = x * c
    write(x)  # x is read only for c's gradient, which is not needed
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    y = x * c
    write(c)  # c is read for x's gradient
    with pytest.raises(RuntimeError, match="input 1 of Mul"):
        y.sum().backward()


def test_a_write_under_no_grad_after_an_op_that_saves_nothing_is_fine():
    x = leaf(3)
    y = x + 1
    with lucid.no_grad():
        x += 1
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))
