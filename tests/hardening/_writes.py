"""What the version-counter tests share: leaf tensors and one write through lucid."""

import numpy as np

import lucid
from lucid import Tensor

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
