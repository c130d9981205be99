"""The saved-version tables of nn.functional's layer Functions (convolution, pooling,
sampling, normalisation, embedding, bilinear, the extra activations, huber loss, drop
regions), in test_saved_versions.py's two formats. That file merges them into its
tables, its coverage test and its two table tests; here only that each build of the
second table makes the Function it stands for.

SAVES builds: (x, w) -> (result, the saved tensor to write, what). KEEPS_NOTHING builds:
(x, w) -> (result, the other tensors to write and compare the gradients of). Those
other tensors hold fixed values (the build runs twice, once without the writes), picked
so that the write would change the gradient if backward read the tensor: across a kink
of relu6 and hardsigmoid, or the indices of an embedding.
"""

import importlib

import numpy as np
import pytest
from _writes import leaf

import lucid.nn.functional as F
from lucid import Tensor

# By module: some of lucid.nn.functional's names (conv, pool) would hide its submodules.
act2, bil, conv, convt, drop2, huber, norm, pool, sampling, selu_drop, sparse = (
    importlib.import_module(f"lucid.nn.functional.{m}")
    for m in (
        "activation_extra",
        "bilinear",
        "conv",
        "conv_transpose",
        "drop_regions",
        "loss_huber",
        "norm",
        "pool",
        "sampling",
        "selu_dropout",
        "sparse",
    )
)


def _grid():
    """A sampling grid (1, 1, 2, 2) of points inside the image, needing a gradient."""
    return Tensor(np.array([[[[0.3, -0.4], [-0.6, 0.2]]]]), requires_grad=True)


def _const(*values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


SAVES = {
    "SeluAlphaDropout": (
        selu_drop.SeluAlphaDropout,
        lambda x, w: (F.selu_alpha_dropout(x, 0.5), x, "input 0"),
    ),
    "SeluRowAlphaDropout": (
        selu_drop.SeluRowAlphaDropout,
        lambda x, w: (
            selu_drop.run(v := x.reshape(1, 1, 3) * 1.0, 0.5, True, None, ("F", None))[0],
            v,
            "input 0",
        ),
    ),
    "LinearSeluAlphaDropout": (
        selu_drop.LinearSeluAlphaDropout,
        lambda x, w: (
            selu_drop.linear_run(x.reshape(1, 3), v := w.reshape(1, 3), None, 0.5, None)[0],
            v,
            "input 1",
        ),
    ),
    "LinearSeluAlphaDropout, its input": (
        selu_drop.LinearSeluAlphaDropout,
        lambda x, w: (
            selu_drop.linear_run(v := x.reshape(1, 3) * 1.0, w.reshape(1, 3), None, 0.5, None)[0],
            v,
            "input 0",
        ),
    ),
    "_Conv": (
        conv._Conv,
        lambda x, w: (F.conv1d(x.reshape(1, 1, 3), k := leaf(1, 1, 2)), k, "input 1"),
    ),
    "_Conv, its input": (
        conv._Conv,
        lambda x, w: (F.conv1d(v := x.reshape(1, 1, 3), leaf(1, 1, 2)), v, "input 0"),
    ),
    "_ConvTranspose": (
        convt._ConvTranspose,
        lambda x, w: (F.conv_transpose1d(x.reshape(1, 1, 3), k := leaf(1, 1, 2)), k, "input 1"),
    ),
    "_ConvTranspose, its input": (
        convt._ConvTranspose,
        lambda x, w: (F.conv_transpose1d(v := x.reshape(1, 1, 3), leaf(1, 1, 2)), v, "input 0"),
    ),
    "_Bilinear": (
        bil._Bilinear,
        lambda x, w: (
            F.bilinear(x.reshape(1, 3), w.reshape(1, 3), k := leaf(2, 3, 3)),
            k,
            "input 2",
        ),
    ),
    "_Bilinear, its second input": (
        bil._Bilinear,
        lambda x, w: (
            F.bilinear(x.reshape(1, 3), v := w.reshape(1, 3), leaf(2, 3, 3)),
            v,
            "input 1",
        ),
    ),
    "Standardize": (
        norm.Standardize,
        lambda x, w: (F.layer_norm(x.reshape(1, 3), 3, w), w, "input 1"),
    ),
    "Normalize": (norm.Normalize, lambda x, w: (F.normalize(v := x.reshape(1, 3)), v, "input 0")),
    "GlobalResponseNorm": (
        norm.GlobalResponseNorm,
        lambda x, w: (
            F.global_response_norm(v := leaf(1, 2, 2, 2), leaf(1, 2, 1, 1), leaf(1)),
            v,
            "input 0",
        ),
    ),
    "GlobalResponseNorm, its gamma": (
        norm.GlobalResponseNorm,
        lambda x, w: (
            F.global_response_norm(leaf(1, 2, 2, 2), g := leaf(1, 2, 1, 1), leaf(1)),
            g,
            "input 1",
        ),
    ),
    "_Sample": (
        sampling._Sample,
        lambda x, w: (F.grid_sample(v := leaf(1, 1, 2, 2), _grid()), v, "input 0"),
    ),
}

KEEPS_NOTHING = {
    "ReLU6": (act2.ReLU6, lambda x, w: (F.relu6(t := _const(-0.1, 5.9, 0.1)), [t])),
    "HardSigmoid": (
        act2.HardSigmoid,
        lambda x, w: (F.hardsigmoid(t := _const(-3.1, 2.9, 0.0)), [t]),
    ),
    "HardSwish": (act2.HardSwish, lambda x, w: (F.hardswish(x), [])),
    "SiLU": (act2.SiLU, lambda x, w: (F.silu(x), [])),
    "Mish": (act2.Mish, lambda x, w: (F.mish(x), [])),
    "HuberLossFunction": (
        huber.HuberLossFunction,
        lambda x, w: (F.huber_loss(x, Tensor(np.zeros(3)), reduction="none"), []),
    ),
    "MaskScale": (drop2.MaskScale, lambda x, w: (F.drop_path(x.reshape(3, 1), 0.5), [])),
    "MaskScale of drop_block": (
        drop2.MaskScale,
        lambda x, w: (F.drop_block(x.reshape(1, 1, 3, 1), 1, 0.5), []),
    ),
    "Embedding": (
        sparse.Embedding,
        lambda x, w: (F.embedding(i := Tensor(np.array([2, 0, 2])), x.reshape(3, 1)), [i]),
    ),
    "_Unfold": (conv._Unfold, lambda x, w: (F.unfold(x.reshape(1, 1, 3), 2, 1, 0, 1), [])),
    "_Pool, max": (pool._Pool, lambda x, w: (F.max_pool1d(x.reshape(1, 1, 3), 2), [])),
    "_Pool, adaptive average": (
        pool._Pool,
        lambda x, w: (F.adaptive_avg_pool1d(x.reshape(1, 1, 3), 2), []),
    ),
    "_Separable": (
        sampling._Separable,
        lambda x, w: (F.interpolate(x.reshape(1, 1, 3), 5, mode="linear"), []),
    ),
    "_AffineGrid": (
        sampling._AffineGrid,
        lambda x, w: (
            F.affine_grid(
                (t := _const(1.0, 0.2, 0.1, -0.3, 0.9, 0.0)).reshape(1, 2, 3), (1, 1, 2, 3)
            ),
            [t],
        ),
    ),
    # x is read only for the gradients of the weight and of the grid, which are not needed.
    "_Conv, only its input's gradient": (
        conv._Conv,
        lambda x, w: (F.conv1d(x.reshape(1, 1, 3), Tensor(np.array([[[0.5, -1.0]]]))), []),
    ),
    "_Sample, only its input's gradient": (
        sampling._Sample,
        lambda x, w: (F.grid_sample(x.reshape(1, 1, 1, 3), Tensor(_grid().data[:, :1])), []),
    ),
}

# Classes in both tables: what they save is read only for some gradients.
SPLIT = {conv._Conv, sampling._Sample}


@pytest.mark.parametrize("name", KEEPS_NOTHING)
def test_each_build_of_a_function_that_keeps_nothing_makes_that_function(name):
    cls, build = KEEPS_NOTHING[name]
    result, _ = build(leaf(3), leaf(3))
    assert type(result._ctx) is cls
