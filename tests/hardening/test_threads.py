"""The dropout family under Python threads, and the GIL released around the kernels.

Eight threads make 1,000 forward + backward calls each through autograd: four draw from
one shared Generator, four from private ones (``Generator(SEED, stream=k)``). Nothing
may crash or mix up results: every call obeys the dropout law, every private thread
gives the same bytes as the same calls made on one thread, and the shared calls must be
some one-at-a-time order of disjoint reservations of the shared stream.

The second half shows that a long kernel call lets another thread run Python and its
own kernel meanwhile, which it could not do if the call held the GIL.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _C, Tensor

SEED = 20261127
THREADS, SHARED, CALLS = 8, 4, 1000
ALPHA_PRIME = -1.0507009873554805 * 1.6732632423543772

# (function, kernel kind, p, input shape, mask shape, dtype, seeded with ones). Every
# mask has at least 64 bits and p = 0.5, so two draws give the same mask with
# probability at most 2**-64: an equal pair means the same words were used twice.
# (70_000,) is above the 65,536 elements that run on the calling thread, so those
# calls go through the rayon pool from eight threads at once.
CASES = [
    (F.alpha_dropout, "alpha", 0.5, (8, 16), (8, 16), np.float32, True),
    (F.dropout, "standard", 0.5, (4, 33), (4, 33), np.float64, False),
    (F.feature_alpha_dropout, "alpha", 0.5, (8, 8, 5), (8, 8), np.float32, False),
    (F.alpha_dropout, "alpha", 0.5, (70_000,), (70_000,), np.float32, False),
    (F.alpha_dropout, "alpha", 0.5, (3, 50), (3, 50), np.float64, False),
    (F.feature_alpha_dropout, "alpha", 0.5, (16, 9, 2), (16, 9), np.float64, True),
]


def coefficients(kind, p):
    """(A, B, dropped value), from the formulas in the README, not from the core."""
    if kind == "standard":
        return 1 / (1 - p), 0.0, 0.0
    a = ((1 - p) * (1 + p * ALPHA_PRIME**2)) ** -0.5
    b = -a * ALPHA_PRIME * p
    return a, b, a * ALPHA_PRIME + b


def words_reserved(n):
    """Words a dropout call over n mask elements takes from its generator (README,
    "Randomness"): ceil(n / 4) rounded up to a 16-word block, then n tie words, and the
    offset moves on to the next block."""
    byte_words = -(-n // 4)
    byte_words = -(-byte_words // 16) * 16
    return -(-(byte_words + n) // 16) * 16


def inputs(thread):
    """Each thread's inputs differ, so a result computed from another thread's input fails
    the law check."""
    rng = np.random.default_rng(thread)
    return [rng.standard_normal(case[3]).astype(case[5]) for case in CASES]


def one_call(case, x_values, weight, generator):
    """Forward and backward of one case; checks the law and returns (mask bits, digest)."""
    fn, kind, p, _, mask_shape, dtype, ones = case
    x = Tensor(x_values, requires_grad=True)
    y = fn(x, p, generator=generator)
    dy = np.ones(x.shape, dtype) if ones else weight
    if not ones:
        y.grad = weight.copy()
    y.backward()
    a, b, dropped = (dtype(v) for v in coefficients(kind, p))
    # The mask, read from the gradient (dy is never 0): one bit per mask element.
    bits = (x.grad != 0).reshape(*mask_shape, -1).any(axis=-1)
    extra = len(x.shape) - len(mask_shape)
    keep = np.broadcast_to(bits.reshape(mask_shape + (1,) * extra), x.shape)
    assert np.array_equal(x.grad, dy * np.where(keep, a, dtype(0))), "grad is not A·mask·dy"
    assert np.array_equal(y.data[keep], x_values[keep] * a + b), "a kept y is not A·x + B"
    assert (y.data[~keep] == dropped).all(), "a dropped y is not the dropped value"
    digest = hashlib.sha256(y.data.tobytes() + x.grad.tobytes()).hexdigest()
    return np.packbits(bits.reshape(-1)).tobytes(), digest


def run_calls(thread, generator, start=None):
    """CALLS calls cycling through CASES: (case index, mask bits, digest of y and grad) each.
    Waits on ``start`` (a Barrier) first if given."""
    xs = inputs(thread)
    weights = [np.linspace(0.5, 1.5, x.size, dtype=x.dtype).reshape(x.shape) for x in xs]
    if start is not None:
        start.wait()
    calls = []
    for i in range(CALLS):
        c = i % len(CASES)
        calls.append((c, *one_call(CASES[c], xs[c], weights[c], generator)))
    return calls


def replay_order(calls_by_thread, seed):
    """Find an order of the shared calls in which each one's mask is exactly the mask
    drawn at the shared generator's offset then; returns the final offset.

    Each thread's own calls stay in their order, so at each step the next call is one
    of the threads' next calls; the 64-bit (or larger) masks leave at most one match.
    """
    heads = [0] * len(calls_by_thread)
    offset, total = 0, sum(len(c) for c in calls_by_thread)
    for step in range(total):
        matches = []
        for t, calls in enumerate(calls_by_thread):
            if heads[t] == len(calls):
                continue
            case_index, bits, _ = calls[heads[t]]
            _, kind, p, _, mask_shape, _, _ = CASES[case_index]
            numel = int(np.prod(mask_shape))
            gen = lucid.random.Generator(seed)
            gen.set_state((seed, 0, offset))
            drawn = np.asarray(_C.dropout_mask(numel, p, gen, kind).to_storage("bool"))
            if np.packbits(drawn).tobytes() == bits:
                matches.append((t, words_reserved(numel)))
        assert len(matches) == 1, (
            f"step {step}, offset {offset}: {len(matches)} threads' next calls match the "
            f"words drawn there (next calls: {heads})"
        )
        t, words = matches[0]
        heads[t] += 1
        offset += words
    return offset


def test_eight_threads_share_and_split_generators():
    shared = lucid.random.Generator(SEED)
    private = [lucid.random.Generator(SEED, stream=k) for k in range(SHARED, THREADS)]
    generators = [shared] * SHARED + private
    results, errors = [None] * THREADS, []
    start = threading.Barrier(THREADS)

    def worker(k):
        try:
            results[k] = run_calls(k, generators[k], start)
        except BaseException as exc:  # reported below, with the thread's number
            errors.append((k, exc))
            start.abort()

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often: more interleavings per call
    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    assert not errors, f"threads failed: {errors!r}"

    # Private generators: the same bytes as the same calls on one thread, one after another.
    for k in range(SHARED, THREADS):
        alone = lucid.random.Generator(SEED, stream=k)
        assert run_calls(k, alone) == results[k], f"thread {k} differs from its replay"
        assert private[k - SHARED].get_state() == alone.get_state()

    # Shared generator: no mask twice, and the calls replay as one sequence of disjoint
    # reservations that ends exactly where the generator's offset is.
    shared_calls = [results[k] for k in range(SHARED)]
    masks = [(c[0], c[1]) for calls in shared_calls for c in calls]
    assert len(set(masks)) == len(masks) == SHARED * CALLS
    reserved = sum(
        words_reserved(int(np.prod(CASES[c[0]][4]))) for calls in shared_calls for c in calls
    )
    assert shared.offset == reserved
    assert replay_order(shared_calls, SEED) == reserved


# ---- the GIL is released around every kernel ------------------------------------------
#
# A probe thread loops over a short kernel call of its own, noting perf_counter() before
# and after each. The main thread notes t0, makes one long kernel call, notes t1. The
# switch interval is raised to 10 s meanwhile, so the probe can never force the main
# thread to give up the GIL: it gets the GIL only when the main thread hands it over
# itself. Between t0 and t1 the main thread runs Python only before and after the native
# call, holding the GIL and never blocking; so if the call held the GIL too, no probe
# note could fall between t0 and t1 at all (test_detector_sees_a_call_that_holds_the_gil
# checks exactly that with a builtin that holds it). A probe call with both notes inside
# [t0, t1] was made entirely while the long kernel ran: two threads' kernels overlapped.
# No duration is compared with any other: the check is whether a note exists there.

N_LONG = 10_000_000


def probe(call):
    """How many probe calls ran wholly inside one ``call()``, and the call's seconds."""
    small = np.ones(4096, np.float32)
    gen = lucid.random.Generator(SEED, stream=99)
    stop, ready = threading.Event(), threading.Event()
    spans = []

    def prober():
        ready.set()
        while not stop.is_set():
            s = time.perf_counter()
            _C.dropout_forward(small, 0.5, gen)
            spans.append((s, time.perf_counter()))
            time.sleep(0)  # hand the GIL back even if the kernel above kept it

    old_interval = sys.getswitchinterval()
    thread = threading.Thread(target=prober)
    sys.setswitchinterval(10.0)
    try:
        thread.start()
        ready.wait()
        time.sleep(0.005)
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old_interval)
    inside = sum(t0 < s and e < t1 for s, e in spans)
    return inside, t1 - t0


@pytest.fixture(scope="module")
def long_input():
    x = np.random.default_rng(0).standard_normal(N_LONG)  # float64, 80 MB
    y, mask = _C.dropout_forward(x, 0.5, lucid.random.Generator(SEED))
    yield x, mask
    del y, mask
    lucid.empty_cache()  # give the freed 80 MB buffers back rather than keep them pooled


LONG_CALLS = [
    "dropout_forward",
    "dropout_backward",
    "dropout_mask",
    "dropout_rows_forward",
    "parallel_copy",
    "Generator.randn",
]


def long_calls(x, mask):
    """Each of LONG_CALLS as a call of 10**7 elements (10**6 normals for randn, which
    spends more per element)."""
    gen = lucid.random.Generator(SEED, stream=7)
    return {
        "dropout_forward": lambda: _C.dropout_forward(x, 0.5, gen, "alpha"),
        "dropout_backward": lambda: _C.dropout_backward(x, mask),
        "dropout_mask": lambda: _C.dropout_mask(N_LONG, 0.5, gen, "standard"),
        "dropout_rows_forward": lambda: _C.dropout_rows_forward(x, mask, 1),
        "parallel_copy": lambda: _C.parallel_copy(x),
        "Generator.randn": lambda: gen.randn(N_LONG // 10, "float64"),
    }


@pytest.mark.parametrize("name", LONG_CALLS)
def test_another_thread_runs_its_kernel_during_a_long_kernel(long_input, name):
    call = long_calls(*long_input)[name]
    # The probe needs the operating system to run it during the call; on a busy machine
    # one attempt can miss, five in a row practically cannot.
    attempts = [probe(call) for _ in range(5)]
    assert max(inside for inside, _ in attempts) > 0, (
        f"{name}: no probe call ran during any of 5 long calls "
        f"(probe calls inside, call seconds): {attempts}"
    )


def test_detector_sees_a_call_that_holds_the_gil():
    """The same probe around a builtin that holds the GIL for as long as a kernel call:
    never a probe call inside, so the test above can fail."""
    for _ in range(5):
        inside, seconds = probe(lambda: sum(range(1_000_000)))
        assert inside == 0, f"{inside} probe calls ran inside a {seconds:.4f} s GIL-holding call"
