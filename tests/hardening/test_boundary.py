"""Never a panic across the boundary, never a moved generator on a refused call.

A panic in the core (there should be none) reaches Python as a RuntimeError that
``except Exception`` catches, not pyo3's PanicException; a thread pool that cannot
start is a RuntimeError that leaves the generator where it was, and a later call
succeeds once the resources are back; a shape no allocation can hold is refused
before any word is reserved. The risky cases run in a child interpreter.
"""

from __future__ import annotations

import pytest
from _isolated import run_script

import lucid
from lucid import random


def test_a_panic_on_a_pool_worker_is_a_runtime_error_and_the_pool_still_works():
    found = run_script(
        r"""
import json
import numpy as np
from lucid import _C
caught = []
for _ in range(3):
    try:
        _C._panic_in_pool("a probe of the boundary")
    except Exception as err:  # PanicException would not be caught here
        caught.append([type(err).__name__, str(err)])
y, mask = _C.dropout_forward(np.ones(1 << 18, np.float32), 0.5, _C.Generator(1))
print(json.dumps({"caught": caught, "kept": mask.count_ones()}))
"""
    )
    assert len(found["caught"]) == 3
    for name, message in found["caught"]:
        assert name == "RuntimeError"
        assert "internal error in lucid's core" in message
        assert "a probe of the boundary" in message
    # Kept ~ Binomial(2**18, 1/2): within 6 standard deviations (sd = 256).
    assert abs(found["kept"] - (1 << 17)) < 6 * 256


# With the address space capped just above what the process uses, no thread stack can
# be mapped, so the thread pool (started on first use) cannot start. x and the
# outputs (70,000 float32: nine chunks, so the pool is needed) fit under the cap.
_NO_POOL = r"""
import json, resource
import numpy as np
from lucid import _C

def vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

x = np.linspace(-1, 1, 70_000, dtype=np.float32)
g = _C.Generator(9)
calls = {
    "dropout_forward": lambda: _C.dropout_forward(x, 0.1, g),
    "dropout_mask": lambda: _C.dropout_mask(70_000, 0.1, g),
    "rand": lambda: g.rand(70_000, "float32"),
    "randn": lambda: g.randn(70_000, "float64"),
    "bernoulli": lambda: g.bernoulli(np.full(70_000, 0.5)),
}
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
refused = {}
for name, call in calls.items():
    before = g.get_state()
    resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + (3 << 19), hard))
    try:
        call()
        outcome = "returned"
    except Exception as err:
        outcome = [type(err).__name__, str(err)]
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    refused[name] = [outcome, g.get_state() == before]
# Resources are back: the same call now works and gives the bits of a fresh run.
y, mask = _C.dropout_forward(x, 0.1, g)
y2, mask2 = _C.dropout_forward(x, 0.1, _C.Generator(9))
print(json.dumps({"refused": refused, "same": bool((np.asarray(y) == np.asarray(y2)).all()),
                  "threads": _C.get_num_threads()}))
"""


def test_a_thread_pool_that_cannot_start_is_an_error_that_moves_no_generator():
    found = run_script(_NO_POOL)
    for name, (outcome, unmoved) in found["refused"].items():
        assert outcome != "returned", f"{name} ran without a thread pool"
        error, message = outcome
        assert error in ("RuntimeError", "MemoryError"), f"{name}: {error}: {message}"
        assert unmoved, f"{name} moved the generator though it was refused"
    assert found["refused"]["dropout_forward"][0][0] == "RuntimeError"
    assert "could not start lucid's thread pool" in found["refused"]["dropout_forward"][0][1]
    assert found["same"], "after the refusals the generator gave other bits than a fresh one"
    assert found["threads"] >= 1


@pytest.mark.parametrize("sampler", ["rand", "randn"])
@pytest.mark.parametrize(
    "shape", [(2**62 + 1, 4), (3, 2**62), (2**32, 2**32), (2**64,), (2**61, 2, 2, 2)]
)
def test_a_shape_no_allocation_holds_is_refused_before_any_word_is_reserved(sampler, shape):
    gen = random.Generator(4)
    before = gen.get_state()
    with pytest.raises(ValueError, match=r"shape \(.*\) has \d+ elements"):
        getattr(random, sampler)(*shape, generator=gen)
    assert gen.get_state() == before


def test_a_shape_too_large_for_memory_now_is_a_memory_error_and_moves_nothing():
    gen = random.Generator(4)
    before = gen.get_state()
    with pytest.raises(MemoryError, match="could not allocate"):
        random.rand(2**31, 2**20, generator=gen)  # 8 PiB: a valid size, never memory
    assert gen.get_state() == before


def test_the_exact_count_is_used_where_int64_products_would_wrap():
    # 2**32 * 2**32 wraps to 0 in int64: an empty tensor would have been the answer.
    with pytest.raises(ValueError, match="18446744073709551616 elements"):
        lucid.random.rand(2**32, 2**32)
