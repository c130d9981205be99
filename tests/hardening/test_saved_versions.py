"""The saved-version check of every Function: each is in exactly one of two tables.

SAVES: backward reads a tensor's values, so a write into that tensor after forward
must make backward raise. KEEPS_NOTHING: backward reads only shapes, masks or copies,
so the same write must not matter. The coverage test fails when a new Function is in
neither.
"""

import importlib
import pkgutil
import re

import numpy as np
import pytest
import test_saved_versions_layers as layer_tables
import test_saved_versions_ops as op_tables
from _writes import leaf, write

import lucid
import lucid.nn.functional as F
from lucid import Tensor
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


# The layers' and the newer ops' entries are in files of their own (this one's length).
# Their KEEPS_NOTHING builds give (result, other tensors to write and compare).
for _more in (layer_tables, op_tables):
    assert SAVES.keys().isdisjoint(_more.SAVES), _more
    assert KEEPS_NOTHING.keys().isdisjoint(_more.KEEPS_NOTHING), _more
    SAVES.update(_more.SAVES)
    KEEPS_NOTHING.update(_more.KEEPS_NOTHING)

# In both tables: what they save is read only for some gradients.
SPLIT = {elementwise.Mul} | layer_tables.SPLIT | op_tables.SPLIT
MORE_KEEPS = {**layer_tables.KEEPS_NOTHING, **op_tables.KEEPS_NOTHING}


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
    # Every module of the package first: a Function that no test imports is found too.
    for module in pkgutil.walk_packages(lucid.__path__, "lucid."):
        importlib.import_module(module.name)
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
    assert saving.isdisjoint(keeping - SPLIT)
    assert _all_functions() == saving | keeping
    for cls in saving:
        assert cls.saved_inputs or cls.saved_output, cls
    for cls in keeping - SPLIT:
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
        result, others = build(x, w) if name in MORE_KEEPS else (build(x, w), [])
        if written:
            for t in (x, w, *others):
                _write_any(t)
        (result * Tensor(np.linspace(1, 2, result.size).reshape(result.shape))).sum().backward()
        grads.append([t.grad for t in (x, w, *others)])
    for before, after in zip(*grads, strict=True):
        np.testing.assert_array_equal(before, after)


def _write_any(tensor):
    if tensor.dtype.kind in "iu":  # indices: moved by one
        with lucid.no_grad():
            tensor += 1
    else:
        write(tensor)


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
