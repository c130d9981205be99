"""Shared by the scheduler tests: an optimizer with two param groups of known base lrs."""

import numpy as np

from lucid import nn, optim

BASES = (0.1, 0.03)


def two_groups(cls=optim.SGD, **extra):
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    return cls([{"params": [a], "lr": BASES[0]}, {"params": [b], "lr": BASES[1]}], **extra)
