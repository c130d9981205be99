"""The dropout family gives the same bits for any thread count and instruction set.

Each example runs every member on inputs of more than 65,536 elements (so the work is
cut into at least 8 chunks that rayon spreads over its threads) in fresh processes
with RAYON_NUM_THREADS = 1, 2 and 3 (the pool's size is fixed when a process starts
it), and in this process at every SIMD level the CPU supports (set with
lucid._C.set_simd); the outputs, gradients and masks must hash the same.
Subprocesses are slow, so examples are few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import _dropout_digest
from _property_strategies import examples, inner_probabilities, states
from hypothesis import given
from hypothesis import strategies as st

from lucid import _C

WORKER = Path(__file__).with_name("_dropout_digest.py")
REPO = Path(__file__).resolve().parents[2]

ENVIRONMENTS = [
    {"RAYON_NUM_THREADS": "1"},
    {"RAYON_NUM_THREADS": "2"},
    {"RAYON_NUM_THREADS": "3"},
]
LEVELS = ["scalar", "avx2", "avx512"]


@st.composite
def cases(draw):
    """An (N, C, H, W) input of 65,537 to about 200,000 elements and one call's settings."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    h = draw(st.integers(1, 40))
    w = max(draw(st.integers(1, 400)), 65_537 // (n * c * h) + 1)
    return {
        "shape": [n, c, h, w],
        "dtype": draw(st.sampled_from(["float32", "float64"])),
        "p": draw(inner_probabilities),
        "state": list(draw(states)),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def digests_at_every_level(batch):
    """The digests in this process at each SIMD level the CPU supports (the first, scalar,
    always is), then the configuration as it was."""
    before = _C.get_simd()
    found = {}
    try:
        for level in LEVELS:
            try:
                _C.set_simd(level)
            except ValueError:  # above what this CPU supports
                break
            found[level] = [_dropout_digest._digest(case) for case in batch]
    finally:
        _C.set_simd(*before)
    return found


def digests(batch, env):
    run = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(batch)],
        env={**os.environ, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@examples(2)
@given(batch=st.lists(cases(), min_size=2, max_size=2))
def test_every_member_gives_the_same_bits_for_any_thread_count(batch):
    reference = digests(batch, ENVIRONMENTS[0])
    assert len(reference) == len(batch) and all(len(d) == 8 for d in reference)
    for env in ENVIRONMENTS[1:]:
        assert digests(batch, env) == reference, env
    levels = digests_at_every_level(batch)
    assert "scalar" in levels
    for level, got in levels.items():
        assert got == reference, level
