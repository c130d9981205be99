"""lucid: a deep-learning library with lucid's API and a Rust core.

Tensors hold their values in Rust storage; general math runs in numpy on zero-copy
views of it, and the dropout family runs in parallel Rust kernels.
"""

import numpy as np

# _methods binds the ops of lucid._ops onto Tensor as its operators and methods.
from lucid import (
    _methods,  # noqa: F401
    nn,
    optim,
    random,
)
from lucid._C import empty_cache, get_num_threads, memory_allocated, memory_cached, set_num_threads
from lucid._creation import ones, ones_like, tensor, zeros, zeros_like
from lucid._ops.elementwise import abs, clip, exp, log, maximum, minimum, sqrt
from lucid._ops.linalg import matmul
from lucid._ops.movement import concatenate, stack, where
from lucid._ops.reduce import argmax, argmin, max, mean, min, sum
from lucid._ranges import arange, eye
from lucid._serialization import load, save
from lucid._tensor import Tensor
from lucid.autograd import enable_grad, grad_enabled, no_grad

float32 = np.float32
float64 = np.float64
int64 = np.int64
bool_ = np.bool_

__all__ = [
    "Tensor",
    "bool_",
    "enable_grad",
    "float32",
    "float64",
    "grad_enabled",
    "int64",
    "memory_allocated",
    "memory_cached",
    "empty_cache",
    "get_num_threads",
    "set_num_threads",
    "load",
    "nn",
    "no_grad",
    "optim",
    "save",
    "ones",
    "ones_like",
    "random",
    "tensor",
    "zeros",
    "zeros_like",
    # math (lucid._ops, lucid._ranges)
    "abs",
    "arange",
    "argmax",
    "argmin",
    "clip",
    "concatenate",
    "exp",
    "eye",
    "log",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "sqrt",
    "stack",
    "sum",
    "where",
]
