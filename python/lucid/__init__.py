"""lucid: a deep-learning library with lucid's API and a Rust core.

Tensors hold their values in Rust storage; general math runs in numpy on zero-copy
views of it, and the dropout family runs in parallel Rust kernels.
"""

import numpy as _np

# _methods binds the ops of lucid._ops onto Tensor as its operators and methods.
from lucid import _methods, nn, optim, random
from lucid._C import empty_cache, get_num_threads, memory_allocated, memory_cached, set_num_threads
from lucid._creation import ones, ones_like, tensor, zeros, zeros_like
from lucid._ops.elementwise import abs, clip, exp, log, maximum, minimum, sqrt
from lucid._ops.linalg import matmul
from lucid._ops.movement import concatenate, stack, where
from lucid._ops.reduce import argmax, argmin, max, mean, min, std, sum, var
from lucid._ops.views import flatten, squeeze, unsqueeze
from lucid._ranges import arange, eye
from lucid._serialization import load, save
from lucid._tensor import Tensor
from lucid.autograd import enable_grad, grad_enabled, no_grad

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
bool_ = _np.bool_

# The public names are the ones imported or defined above: listed once.
__all__ = sorted(name for name in globals() if not name.startswith("_"))
