"""The raw lucid._C functions the package calls, given bad and odd arguments.

Every case runs in one child interpreter (tests/hardening/_isolated.py), so a case that
crashes it fails alone instead of ending the run. A refused argument is a ValueError
or TypeError whose message names the argument and its value (an absurd size is a
MemoryError), and a refused call leaves the generator's state as it was. An accepted
odd array (read-only, 0-d, empty, 8-D, NaN and ±inf values) gives what a contiguous
copy gives, and the output follows the law: kept y = a·x + b, dropped y = the dropped
value, dx = dy·(a or 0).
"""

from __future__ import annotations

import re

import pytest
from _isolated import run_isolated

PRELUDE = r"""
import numpy as np
from lucid import _C

def misaligned(n):
    a = np.frombuffer(bytearray(4 * n + 1), dtype=np.float32, offset=1, count=n)
    a[:] = 0.25
    return a

def read_only(a):
    a.setflags(write=False)
    return a

def mask(n, seed=0):
    return _C.dropout_mask(n, 0.5, _C.Generator(seed))

z = np.zeros((2, 3), np.float32)
x6 = z.ravel()
BAD = {
    "int64": np.zeros(6, np.int64), "bool": np.zeros(6, bool), "float16": np.zeros(6, np.float16),
    "big-endian": np.zeros(6, ">f4"), "list": [0.0] * 6, "None": None,
    "fortran": np.asfortranarray(z), "transposed": z.T,
    "stepped": np.zeros(12, np.float32)[::2], "reversed": np.zeros(6, np.float32)[::-1],
    "misaligned": misaligned(6),
}
CALL = {
    "dropout_forward": lambda a: _C.dropout_forward(a, 0.5, _C.Generator(0)),
    "dropout_backward": lambda a: _C.dropout_backward(a, mask(6)),
    "dropout_rows_forward": lambda a: _C.dropout_rows_forward(a, mask(3), 2),
    "dropout_rows_backward": lambda a: _C.dropout_rows_backward(a, mask(3), 2),
    "parallel_copy": _C.parallel_copy,
    "Generator.bernoulli": lambda a: _C.Generator(0).bernoulli(a),
}

def flat(storage, dtype):
    return np.frombuffer(storage, dtype)

def bits(m):
    return np.frombuffer(m.to_storage("bool"), np.bool_)

def forward_law(x, p=0.5, kind="alpha", seed=3, **kw):
    # [same as on a contiguous copy, law holds, n, some kept and some dropped]
    y, m = _C.dropout_forward(x, p, _C.Generator(seed), kind, **kw)
    y2, m2 = _C.dropout_forward(np.array(x, copy=True), p, _C.Generator(seed), kind)
    x, t = np.ravel(x), np.asarray(x).dtype.type
    want = np.where(bits(m), x * t(m.a) + t(m.b), t(m.dropped))
    same = np.array_equal(bits(m), bits(m2)) and np.array_equal(flat(y, t), flat(y2, t), True)
    law = np.array_equal(flat(y, t), want, equal_nan=True)
    return [bool(same), bool(law), len(m), 0 < m.count_ones() < len(m)]

def backward_law(dy, m, **kw):
    dx, t = _C.dropout_backward(dy, m, **kw), np.asarray(dy).dtype.type
    want = np.ravel(dy) * np.where(bits(m), t(m.a), t(0))
    return bool(np.array_equal(flat(dx, t), np.broadcast_to(want, len(m)), equal_nan=True))

def untouched(call):
    # The exception call raises, and whether g's state is the same afterwards.
    before = g.get_state()
    try:
        call()
    except Exception as e:
        return [type(e).__name__, g.get_state() == before]
    return ["no error", g.get_state() == before]

def buffer(dtype, n):
    m = memoryview(_C.Storage(dtype, n))
    return [m.format, m.itemsize, m.nbytes, m.readonly, m.shape]

def written(dtype, n):
    a = np.asarray(_C.Storage(dtype, n))
    a.fill(7)
    return int(a.sum())

SPECIALS = np.array([np.nan, np.inf, -np.inf, 1.5] * 32, np.float32)
g = _C.Generator(5)
"""

CASES: dict[str, tuple[str, str, str]] = {}  # key: (expression, error, message regex)
VALUES: dict[str, tuple[str, object]] = {}  # key: (expression, expected value)


def refused(expr: str, error: str, message: str, key: str = "") -> None:
    CASES[key or expr] = (expr, error, re.escape(message))


# Wrong dtype or layout, for every function that takes an array.
ARRAY_ARGS = {"dropout_forward": "x", "dropout_backward": "dy", "dropout_rows_forward": "x"}
ARRAY_ARGS |= {"dropout_rows_backward": "dy", "parallel_copy": "src"}
ARRAY_ARGS |= {"Generator.bernoulli": "probs"}
DTYPES = {"int64": "int64", "bool": "bool", "float16": "float16", "big-endian": ">f4"}
DTYPES |= {"list": "list (not a numpy array)", "None": "NoneType (not a numpy array)"}
LAYOUTS = {
    "fortran": "a non-C-contiguous one (shape [2, 3], strides [4, 8])",
    "transposed": "a non-C-contiguous one (shape [3, 2], strides [4, 12])",
    "stepped": "a non-C-contiguous one (shape [6], strides [8])",
    "reversed": "a non-C-contiguous one (shape [6], strides [-4])",
    "misaligned": "a misaligned one (shape [6], strides [4])",
}
for fn, arg in ARRAY_ARGS.items():
    for bad, shown in DTYPES.items():
        message = f"{arg} must be a float32 or float64 array, got {shown}"
        refused(f"CALL[{fn!r}](BAD[{bad!r}])", "TypeError", message, key=f"{fn}-{bad}")
    for bad, shown in LAYOUTS.items():
        message = f"{arg} must be a C-contiguous, aligned array, got {shown}"
        refused(f"CALL[{fn!r}](BAD[{bad!r}])", "ValueError", message, key=f"{fn}-{bad}")

# p, as the raw functions take it.
# One rule (the core's check_p), so p is shown as Python shows a float, here and in nn.
BAD_P = {"-0.1": "-0.1", "1.0000001": "1.0000001", "float('nan')": "nan", "float('inf')": "inf"}
BAD_P |= {"float('-inf')": "-inf", "10**400": str(10**400)}
P_TYPES = {"'0.5'": "str '0.5'", "None": "NoneType None", "True": "bool True"}
for call in ["_C.dropout_coefficients({})", "_C.dropout_forward(x6, {}, g)"] + [
    "_C.dropout_mask(4, {}, g)"
]:
    for p, shown in BAD_P.items():
        refused(call.format(p), "ValueError", f"p must be a probability in [0, 1], got {shown}")
    for p, shown in P_TYPES.items():
        refused(call.format(p), "TypeError", f"p must be a number in [0, 1], got {shown}")

# Counts: numel, row, chunk; chunk must also be a multiple of 4096 (one rule: par::Chunk).
BAD_COUNTS = [("-1", "ValueError", "in [0, 2**64), got -1")]
BAD_COUNTS += [("2**64", "ValueError", "in [0, 2**64), got 18446744073709551616")]
BAD_COUNTS += [("1.5", "TypeError", "an int, got float 1.5")]
BAD_COUNTS += [("'3'", "TypeError", "an int, got str '3'")]
BAD_COUNTS += [("True", "TypeError", "an int, got bool True")]
CHUNK_CALLS = {
    "_C.dropout_forward(x6, 0.5, g, chunk={})": 4096,
    "_C.dropout_mask(6, 0.5, g, chunk={})": 4096,
    "_C.dropout_backward(x6, mask(6), chunk={})": 4096,
    "_C.dropout_rows_forward(x6, mask(3), 2, chunk={})": 4096,
    "_C.dropout_rows_backward(x6, mask(3), 2, chunk={})": 4096,
}
COUNT_CALLS = {
    "numel": ["_C.Storage('float32', {})", "_C.dropout_mask({}, 0.5, g)", "g.rand({}, 'float32')"],
    "row": [
        "_C.dropout_rows_forward(x6, mask(3), {})",
        "_C.dropout_rows_backward(x6, mask(3), {})",
    ],
    "chunk": list(CHUNK_CALLS),
}
for arg, calls in COUNT_CALLS.items():
    for call in calls:
        for value, error, rest in BAD_COUNTS:
            refused(call.format(value), error, f"{arg} must be {rest}")
for call, step in CHUNK_CALLS.items():
    for value in ["0", "7", "4097"]:
        refused(
            call.format(value),
            "ValueError",
            f"chunk must be a positive multiple of {step}, got {value}",
        )

# Lengths that do not match the mask, a row count whose product wraps around, names.
DY = "dy must have as many elements as the input ({}) or one, got {}"
ROWS = "x must be {} rows of {} elements, got {} elements"
BIG = 2**63
PROBS = "probs must be in [0, 1] everywhere, got "
for expr, message in {
    "_C.dropout_backward(np.zeros(4), mask(3))": DY.format(3, 4),
    "_C.dropout_backward(np.zeros(0), mask(3))": DY.format(3, 0),
    "_C.dropout_rows_backward(np.zeros(5), mask(3), 2)": DY.format(6, 5),
    "_C.dropout_rows_forward(np.zeros(7), mask(3), 2)": ROWS.format(3, 2, 7),
    "_C.dropout_rows_forward(np.zeros(3), mask(3), 0)": ROWS.format(3, 0, 3),
    "_C.dropout_rows_forward(np.zeros(0), mask(2), 2**63)": ROWS.format(2, BIG, 0),
    "_C.dropout_rows_backward(np.zeros(3), mask(3), 2**63)":
        f"row must fit the mask: 3 rows of {BIG} elements overflow",
    "_C.dropout_forward(x6, 0.5, g, 'beta')": "kind must be 'alpha' or 'standard', got \"beta\"",
    "g.bernoulli(np.array([0.5, np.nan]))": PROBS + "NaN",
    "g.bernoulli(np.array([0.5, 2.0]))": PROBS + "2",
    "g.bernoulli(np.array([-0.5, 0.5]))": PROBS + "-0.5",
}.items():  # fmt: skip
    refused(expr, "ValueError", message)
DTYPE = "dtype must be one of float32, float64, int64, bool, got "
refused("_C.Storage('float16', 3)", "TypeError", DTYPE + '"float16"')
refused("mask(3).to_storage('x')", "TypeError", DTYPE + '"x"')
refused("g.rand(3, 'int64')", "TypeError", "dtype must be float32 or float64, got int64")
refused(
    "_C.dropout_forward(x6, 0.5, None)",
    "TypeError",
    "generator must be a lucid.random.Generator, got NoneType",
)
# An argument of the wrong Python type: pyo3 names it in a note ("while processing").
for expr, arg, value in [
    ("_C.dropout_backward(x6, 'bits')", "mask", "str"),
    ("_C.dropout_mask(3, 0.5, g, kind=None)", "kind", "None"),
    ("_C.Storage(None, 3)", "dtype", "None"),
]:
    CASES[expr] = (expr, "TypeError", rf".*'{value}'.* while processing '{arg}'")

# Absurd sizes are a MemoryError, never an abort; no refused call reserves words.
for call in [
    "_C.dropout_mask(2**62, 0.5, g)",
    "g.rand(2**50, 'float32')",
    "g.randn(2**61, 'float64')",  # 2**64 bytes: the byte count overflows
    "_C.Storage('float32', 2**50)",
]:
    VALUES[f"state after {call}"] = (f"untouched(lambda: {call})", ["MemoryError", True])
for call in [
    "_C.dropout_forward(x6, 0.5, g, chunk=64)",
    "_C.dropout_mask(9, 0.5, g, chunk=-1)",
    "_C.dropout_forward(z.T, 0.5, g)",
    "_C.dropout_mask(9, float('nan'), g)",
    "g.bernoulli(np.array([0.5, 2.0]))",
]:
    VALUES[f"state after {call}"] = (f"untouched(lambda: {call})", ["ValueError", True])
VALUES["_C.dropout_mask(0, 0.5, g)"] = (
    "untouched(lambda: _C.dropout_mask(0, 0.5, g))",
    ["no error", True],
)

# Odd arrays the functions accept.
LAWS = {
    "forward_law(read_only(np.linspace(-1, 1, 300)))": 300,
    "forward_law(np.array(2.5, np.float32), p=0.0)": 1,
    "forward_law(np.zeros((3, 0, 2)))": 0,
    "forward_law(np.ones((1, 2, 1, 2, 1, 2, 1, 2)))": 16,
    "forward_law(SPECIALS)": 128,
    "forward_law(SPECIALS, kind='standard')": 128,
    "forward_law(SPECIALS, p=1.0)": 128,
    "forward_law(np.linspace(-1, 1, 10000), chunk=4096)": 10000,
}
for expr, n in LAWS.items():
    VALUES[expr] = (expr, [True, True, n, "p=" not in expr and n > 1])
for expr in [
    "backward_law(SPECIALS, mask(128))",
    "backward_law(np.array([np.nan], np.float32), mask(70))",  # one dy for every element
    "backward_law(np.ones(200), mask(200), chunk=4096)",
    "backward_law(np.zeros(0), mask(0))",
]:
    VALUES[expr] = (expr, True)
VALUES["len(_C.dropout_rows_forward(np.zeros(0), mask(3), 0))"] = (None, 0)
VALUES["flat(_C.parallel_copy(read_only(np.arange(3.0))), float).tolist()"] = (None, [0, 1, 2])
# The buffer protocol of each dtype, empty or not: format, itemsize, nbytes, read-only, shape.
for dtype, fmt, size in [
    ("float32", "f", 4),
    ("float64", "d", 8),
    ("int64", "q", 8),
    ("bool", "?", 1),
]:
    for n in [0, 5]:
        VALUES[f"buffer({dtype!r}, {n})"] = (None, [fmt, size, size * n, False, [n]])
        VALUES[f"written({dtype!r}, {n})"] = (None, 7 * n if dtype != "bool" else n)


@pytest.fixture(scope="module")
def outcomes():
    cases = {key: expr for key, (expr, *_) in CASES.items()}
    cases |= {key: expr or key for key, (expr, _) in VALUES.items()}
    return run_isolated(PRELUDE, cases)


@pytest.mark.parametrize("key", CASES)
def test_refused_arguments_name_the_argument_and_value(outcomes, key):
    """A bad argument is the documented exception, whose message names it and its value."""
    expr, error, pattern = CASES[key]
    outcome = outcomes[key]
    assert (outcome.kind, outcome.error) == ("raised", error), f"{expr}: {outcome}"
    assert re.fullmatch(pattern, outcome.message), f"{expr}: {outcome}"


@pytest.mark.parametrize("key", VALUES)
def test_accepted_inputs_follow_the_law(outcomes, key):
    """Odd but valid inputs give the documented result; refusals leave the state alone."""
    outcome = outcomes[key]
    assert outcome.kind == "value", f"{key}: {outcome}"
    assert outcome.value == VALUES[key][1], f"{key}: {outcome}"


def test_a_crash_is_charged_to_its_case_alone():
    """The runner reports a child that dies as a crash of that case and runs the rest."""
    got = run_isolated("import os", {"a": "1", "b": "os.abort()", "c": "[2]"})
    assert (got["a"].value, got["b"].kind, got["c"].value) == (1, "crash", [2])
    assert "exit code -6" in got["b"].detail
