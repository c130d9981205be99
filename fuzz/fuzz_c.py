"""Fuzz target for lucid._C, the native boundary.

Each input picks one public entry point of lucid._C (every function of _C.pyi, the
methods of Storage, Generator and Mask, the buffer protocol), builds arbitrary
arguments for it (fuzz_inputs.py) and calls it. A call may refuse its arguments with
ValueError, TypeError or OverflowError (MemoryError too when a size was absurd);
anything else is a finding: a Rust panic (pyo3_runtime.PanicException), SystemError,
another exception, an abort or a segfault, a wrong result (fuzz_checks.py), or
memory still held after the call.

    python fuzz/fuzz_c.py -max_total_time=600      # atheris (coverage-guided)
    python fuzz/fuzz_c.py --random 2000 --seed 0    # no atheris: seeded random inputs
    python fuzz/fuzz_c.py crash-<sha1>              # replay one atheris input

"""

from __future__ import annotations

import math
import sys
import warnings
from collections import Counter

import fuzz_inputs as fi
import numpy as np
from fuzz_checks import (
    accepted,
    activation_law,
    affine,
    bits,
    elu_terms,
    flat,
    gelu_terms,
    is_float_array,
    scaled,
    view,
)
from fuzz_inputs import STORAGE_DTYPES, Ctx, one_in
from fuzz_objects import op_arity, op_buffer, op_objects

from lucid import _C

REFUSALS = (ValueError, TypeError, OverflowError)
BASELINE = _C.memory_allocated()  # storages alive before the first input


# --- one function per entry point: build arguments, call, check the answer ----------


def op_storage(ctx: Ctx) -> None:
    fdp = ctx.fdp
    dtype, numel = fi.storage_dtype(ctx), fi.size(ctx, cap=1 << 19 if one_in(fdp, 8) else 64)
    zeroed = fi.wild(ctx) if ctx.odd(6) else fdp.ConsumeBool()
    s = _C.Storage(dtype, numel, zeroed)
    a = view(s, {"bool": np.bool_}.get(s.dtype, s.dtype))
    assert len(a) == len(s) == numel and (not zeroed or not a.view(np.uint8).any())
    mv = memoryview(s)
    assert (mv.nbytes, mv.ndim, mv.shape, mv.readonly) == (s.nbytes, 1, (numel,), False)
    raw = mv.cast("B")
    if len(raw):
        raw[fdp.ConsumeIntInRange(0, len(raw) - 1)] = 1  # writable through the view
    assert len(bytes(s)) == s.nbytes and repr(s)
    np.frombuffer(s, dtype=fdp.PickValueInList(fi.FLOATS + fi.OTHERS[:9]))


def op_generator(ctx: Ctx) -> None:
    fdp = ctx.fdp
    seed, stream = fi.seed(ctx), fi.seed(ctx) if fdp.ConsumeBool() else 0
    g = _C.Generator(seed, stream)
    state = g.get_state()
    # A negative seed wraps to its 64 bits, as in lucid.random.seed and PyTorch.
    assert state == (int(seed) % 2**64, stream, 0) == (g.seed, g.stream, g.offset), state
    pick = fdp.ConsumeIntInRange(0, 2)
    if pick == 0:
        parts = [fi.seed(ctx) for _ in range(3 if ctx.tame else fdp.ConsumeIntInRange(0, 4))]
        g.set_state(tuple(parts) if fdp.ConsumeBool() else parts)
        assert g.get_state() == tuple(map(int, parts)), (g.get_state(), parts)
    elif pick == 1:
        new = fi.seed(ctx)
        g.manual_seed(new)
        assert g.get_state() == (int(new) % 2**64, state[1], 0), g.get_state()
    else:
        g.set_state(fi.wild(ctx))
    assert repr(g)


def op_sample(ctx: Ctx) -> None:
    """Generator.rand / randn / bernoulli."""
    fdp = ctx.fdp
    g = fi.generator(ctx)
    before = g.get_state()
    name = fdp.PickValueInList(["rand", "randn", "bernoulli"])
    try:
        if name == "bernoulli":
            probs = fi.array(ctx)
            if is_float_array(probs) and (ctx.tame or fdp.ConsumeBool()):
                probs = np.clip(np.nan_to_num(probs), 0, 1).astype(probs.dtype)
            s = g.bernoulli(probs)
        else:
            numel = fi.size(ctx, cap=fi.LARGE)
            dtype = fi.storage_dtype(ctx) if ctx.odd(2) else fdp.PickValueInList(fi.FLOAT_NAMES)
            s = getattr(g, name)(numel, dtype)
    except REFUSALS + (MemoryError,):
        assert g.get_state() == before, f"a refused {name} moved the generator"
        raise
    if name == "bernoulli":
        p = flat(probs).astype(np.float64)
        got = view(s, np.bool_)
        assert len(got) == len(p) and not (got & np.equal(p, 0)).any() and got[np.equal(p, 1)].all()
    else:
        got = view(s, s.dtype)
        assert len(got) == numel and g.offset >= before[2] + numel, (len(got), g.get_state())
        if name == "rand":
            inside = np.greater_equal(got, 0) & np.less(got, 1)
            assert inside.all(), got[~inside][:4]
        else:
            assert np.isfinite(got).all(), "randn gave a non-finite value"


def op_parallel_copy(ctx: Ctx) -> None:
    src = fi.array(ctx)
    s = _C.parallel_copy(src)
    assert is_float_array(src) and accepted(src), "took an array it should refuse"
    assert view(s, src.dtype).tobytes() == flat(src).tobytes(), "copy differs"


def op_coefficients(ctx: Ctx) -> None:
    p, k = fi.probability(ctx), fi.kind(ctx)
    a, b, dropped = _C.dropout_coefficients(p, k) if k != "alpha" else (_C.dropout_coefficients(p))
    assert 0 <= float(p) <= 1 and all(np.isfinite([a, b, dropped])), (p, a, b, dropped)


def op_forward(ctx: Ctx) -> None:
    """dropout_forward, then the same again from the same state with another chunk,
    then dropout_backward with its mask."""
    fdp = ctx.fdp
    x, p, k, c, g = (
        fi.array(ctx),
        fi.probability(ctx),
        fi.kind(ctx),
        fi.chunk(ctx),
        fi.generator(ctx),
    )
    before = g.get_state()
    try:
        y, mask = _C.dropout_forward(x, p, g, k, c)
    except REFUSALS:
        assert g.get_state() == before, "a refused dropout_forward moved the generator"
        raise
    assert is_float_array(x) and accepted(x), "took an array it should refuse"
    keep = bits(mask)
    assert len(keep) == x.size and (p != 0 or keep.all()) and (p != 1 or not keep.any())
    affine(flat(x), keep, mask, view(y, x.dtype))
    # The same state gives the same bits whatever the chunk (the draws are counted).
    again = _C.Generator(0)
    again.set_state(before)
    y2, mask2 = _C.dropout_forward(x, p, again, k, fdp.PickValueInList([None, 4096, 8192]))
    assert np.array_equal(bits(mask2), keep), "the mask depends on the chunk size"
    assert view(y2, x.dtype).tobytes() == view(y, x.dtype).tobytes()
    assert again.get_state() == g.get_state()
    dy = fi.like(ctx, x.size, x.dtype)
    dx = _C.dropout_backward(dy, mask, fi.chunk(ctx))
    assert is_float_array(dy) and accepted(dy) and dy.size in (1, x.size)
    scaled(flat(dy), keep, mask.a, x.size, view(dx, dy.dtype))


def op_activation(ctx: Ctx) -> None:
    """activation_forward or _backward of gelu, gelu_tanh or elu, against the formulas
    (math.erfc, numpy's expm1, tanh); backward takes a dy of x's dtype, of its length
    or one element."""
    fdp = ctx.fdp
    x, backward = fi.array(ctx), fdp.ConsumeBool()
    dtype = x.dtype if isinstance(x, np.ndarray) else np.dtype(np.float32)
    dy = fi.like(ctx, x.size if isinstance(x, np.ndarray) else 3, dtype) if backward else None
    if fdp.ConsumeBool():
        form = fi.kind(ctx, fi.GELU_FORMS)
        name = (
            {"none": "gelu", "tanh": "gelu_tanh"}.get(form, form) if isinstance(form, str) else form
        )
        fn = _C.activation_forward if not backward else _C.activation_backward
        out = fn(name, x, dy) if backward else fn(name, x)
        assert form in fi.GELU_FORMS, form
        terms = gelu_terms(flat(x), form, backward)
    else:
        alpha, scale = fi.elu_parameter(ctx), fi.elu_parameter(ctx)
        params = (alpha, scale)
        if backward:
            out = _C.activation_backward("elu", x, dy, params)
        else:
            out = _C.activation_forward("elu", x, params)
        # Taken: real numbers (numpy's too, anything with __float__), finite, not bools.
        assert not any(isinstance(v, bool) for v in (alpha, scale)), (alpha, scale)
        alpha, scale = float(alpha), float(scale)
        assert math.isfinite(alpha) and math.isfinite(scale), (alpha, scale)
        terms = elu_terms(flat(x), alpha, scale, backward)
    assert is_float_array(x) and accepted(x), "took an array it should refuse"
    if backward:
        assert (
            is_float_array(dy) and accepted(dy) and dy.dtype == x.dtype and dy.size in (1, x.size)
        )
        dy = flat(dy)
    activation_law(flat(x), terms, view(out, x.dtype), dy)


def op_backward(ctx: Ctx) -> None:
    mask = fi.a_mask(ctx)
    n = len(mask) if isinstance(mask, _C.Mask) else 3
    dy = fi.like(ctx, n, ctx.fdp.PickValueInList(fi.FLOATS))
    dx = _C.dropout_backward(dy, mask, fi.chunk(ctx))
    assert is_float_array(dy) and accepted(dy) and dy.size in (1, n)
    scaled(flat(dy), bits(mask), mask.a, n, view(dx, dy.dtype))


def op_mask(ctx: Ctx) -> None:
    numel, p, k, c = fi.size(ctx), fi.probability(ctx), fi.kind(ctx), fi.chunk(ctx)
    g = fi.wild(ctx) if ctx.odd(8) else fi.generator(ctx)
    before = g.get_state() if isinstance(g, _C.Generator) else None
    try:
        mask = _C.dropout_mask(numel, p, g, k, c)
    except REFUSALS:
        assert before is None or g.get_state() == before, "a refused dropout_mask moved it"
        raise
    keep = bits(mask)
    assert len(keep) == numel and (p != 0 or keep.all()) and (p != 1 or not keep.any())
    for dtype in STORAGE_DTYPES + [fi.storage_dtype(ctx)]:
        got = np.frombuffer(mask.to_storage(dtype), dtype={"bool": np.bool_}.get(dtype, dtype))
        assert np.array_equal(got.astype(bool), keep), dtype
    assert repr(mask) and np.isfinite([mask.a, mask.b, mask.dropped]).all()


def op_rows(ctx: Ctx) -> None:
    """dropout_rows_forward / dropout_rows_backward: x is len(mask) rows of `row`."""
    fdp = ctx.fdp
    mask = fi.a_mask(ctx, 70)
    m = len(mask) if isinstance(mask, _C.Mask) else 0
    x = fi.array(ctx)
    row = fi.a_row(ctx, m, x.size if isinstance(x, np.ndarray) else 0)
    if ctx.tame and is_float_array(x):  # rows that fit: the kernels run
        x = np.resize(x, (m, row)).astype(x.dtype)
    c = fi.chunk(ctx)
    if fdp.ConsumeBool():
        y = _C.dropout_rows_forward(x, mask, row, c)
        assert is_float_array(x) and accepted(x) and m * row == x.size
        affine(flat(x), np.repeat(bits(mask), row), mask, view(y, x.dtype))
    else:
        dx = _C.dropout_rows_backward(x, mask, row, c)
        assert is_float_array(x) and accepted(x) and x.size in (1, m * row)
        scaled(flat(x), np.repeat(bits(mask), row), mask.a, m * row, view(dx, x.dtype))


def op_memory(ctx: Ctx) -> None:
    assert _C.memory_allocated() >= 0 and _C.memory_cached() >= 0
    if ctx.fdp.ConsumeBool():
        _C.empty_cache()
        assert _C.memory_cached() == 0, _C.memory_cached()
    assert isinstance(_C.DEFAULT_CHUNK, int) and all(
        np.isfinite([_C.SELU_SCALE, _C.SELU_ALPHA, _C.ALPHA_PRIME])
    )


OPS = [
    op_storage, op_generator, op_sample, op_parallel_copy, op_coefficients, op_forward,
    op_backward, op_mask, op_rows, op_activation, op_memory, op_buffer, op_objects, op_arity,
]  # fmt: skip


def test_one_input(fdp, stats: Counter | None = None) -> None:
    """One input: one call and its checks, then no storage may be left alive."""
    ctx = Ctx(fdp)
    op = fdp.PickValueInList(OPS)
    outcome = "ok"
    try:
        op(ctx)
    except REFUSALS as e:
        outcome = f"{type(e).__name__}: {str(e)[:60]}"
    except MemoryError:
        if not ctx.absurd:
            raise
        outcome = "MemoryError"
    held = _C.memory_allocated() - BASELINE
    assert held == 0, f"{held} bytes still allocated after {op.__name__}"
    if stats is not None:
        stats[op.__name__, outcome] += 1


def main(argv: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow and NaN warnings
    if "--random" in argv:  # no atheris needed: inputs from seeded random numbers
        n = int(argv[argv.index("--random") + 1])
        first = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        stats: Counter = Counter()
        for s in range(first, first + n):
            try:
                test_one_input(fi.RandomProvider(s), stats)
            except BaseException:
                print(f"finding: python fuzz/fuzz_c.py --random 1 --seed {s}", file=sys.stderr)
                raise
        if "--stats" in argv:  # what the inputs reached: answers and refusals per entry point
            for (op, outcome), count in sorted(stats.items()):
                print(f"{count:7d}  {op:18s} {outcome}")
        print(f"{n} inputs, no finding")
        return
    import atheris

    # Coverage of the harness's own branches (the Rust side is not instrumented). Not of
    # the checks: atheris 3.0's comparison hook keeps the result of every comparison
    # that returns an array (RSS grew by gigabytes in minutes), so code it instruments
    # compares arrays only through numpy functions (np.equal, np.array_equal).
    untraced = {
        "same",
        "affine",
        "scaled",
        "bits",
        "view",
        "gelu_terms",
        "elu_terms",
        "activation_law",
        "main",
    }
    for module in (sys.modules[__name__], fi, sys.modules["fuzz_objects"]):
        for f in list(vars(module).values()):
            if getattr(f, "__module__", None) == module.__name__ and hasattr(f, "__code__"):
                if f.__name__ not in untraced:
                    atheris.instrument_func(f)
    atheris.Setup(argv, lambda data: test_one_input(atheris.FuzzedDataProvider(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
