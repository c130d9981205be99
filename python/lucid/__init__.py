"""lucid: a deep-learning library with lucid's API and a Rust core.

Tensors hold their values in Rust storage; general math runs in numpy on zero-copy
views of it, and the dropout family runs in parallel Rust kernels.
"""

from importlib import metadata as _metadata

import numpy as _np

# _methods binds the ops of lucid._ops onto Tensor as its operators and methods.
from lucid import _methods, data, einops, linalg, nn, optim, random
from lucid._C import empty_cache, get_num_threads, memory_allocated, memory_cached, set_num_threads
from lucid._creation import (
    empty,
    empty_like,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from lucid._dtypes import (
    Bool,
    Char,
    Complex,
    Complex64,
    Double,
    Float,
    Float16,
    Float32,
    Float64,
    Half,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Long,
    Numeric,
    Short,
    UnknownDeviceError,
    get_default_dtype,
    set_default_dtype,
)
from lucid._ops.arithmetic import add, div, multiply, power, sub
from lucid._ops.contraction import tensordot
from lucid._ops.data import shape, to_tensor
from lucid._ops.elementwise import abs, clip, exp, log, maximum, minimum, sqrt
from lucid._ops.histograms import histogram, histogram2d, histogramdd
from lucid._ops.layout import broadcast_to, diagonal, masked_fill, meshgrid, pad, roll
from lucid._ops.linalg import matmul
from lucid._ops.matrices import outer, trace, tril, triu
from lucid._ops.movement import concatenate, stack, where
from lucid._ops.ordering import argsort, sort
from lucid._ops.pieces import chunk, split, unbind
from lucid._ops.products import dot, inner
from lucid._ops.reduce import argmax, argmin, max, mean, min, std, sum, var
from lucid._ops.repeats import repeat, tile
from lucid._ops.scans import cumprod, cumsum
from lucid._ops.selection import nonzero, topk, unique
from lucid._ops.shapes import (
    expand_dims,
    hstack,
    ravel,
    reshape,
    swapaxes,
    transpose,
    vstack,
)
from lucid._ops.unary import (
    arccos,
    arcsin,
    arctan,
    ceil,
    cos,
    cosh,
    cube,
    floor,
    log2,
    reciprocal,
    round,
    sign,
    sin,
    sinh,
    square,
    tan,
)
from lucid._ops.views import flatten, squeeze, unsqueeze
from lucid._ranges import arange, diag, eye, linspace
from lucid._serialization import load, save
from lucid._tensor import Tensor, from_dlpack
from lucid.autograd import enable_grad, grad_enabled, no_grad
from lucid.error import BackwardError, DeviceMismatchError
from lucid.nn.functional.activation import tanh
from lucid.random import rand, randint, randn
from lucid.random import seed as manual_seed  # lucid 3's and PyTorch's name

cat = concatenate  # lucid 3's and PyTorch's name

# numpy's constants, as lucid 2.x has them at the top level.
pi = _np.pi
inf = _np.inf
newaxis = None

# lucid 3's (and numpy's) lowercase dtypes; storage holds the first four. The others
# name what it cannot hold, so passing one is a TypeError naming it.
float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
bool_ = _np.bool_
float16 = half = _np.float16
int8 = _np.int8
int16 = short = _np.int16
int32 = _np.int32
double = _np.float64
long = _np.int64

try:
    __version__ = _metadata.version("lucid-rs")  # the distribution name in pyproject.toml
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

# The public names are the ones imported or defined above: listed once.
__all__ = sorted(name for name in globals() if not name.startswith("_"))
