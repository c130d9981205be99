"""Twin models for the parity tests against PyTorch (tests/parity/test_*.py).

Twin models are built in lucid and in PyTorch, and lucid's state_dict is loaded into the
PyTorch twin (strictly, so the parameter names must agree too). check_twins runs forward
and backward in both and compares the outputs, the head's output (a loss, say), and the
gradients of the input, of the targets and of every parameter.

Not a test module (pytest collects test_*.py only). It needs PyTorch: the test modules
import it after their own ``pytest.importorskip("torch")``, and it skips by itself too.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

torch.set_num_threads(1)  # small tensors; leave the machine's other core alone

# Relative tolerance per dtype. Every tensor is compared with atol = rtol·max|expected|:
# an entry near zero comes from cancelling terms of about the tensor's typical size, and
# the two libraries sum them in different orders (BLAS blocking, pairwise sums), so its
# rounding error is eps times that size, not times its own. 1e-5 is ~80 float32 ulp;
# 1e-12 leaves ~4500 float64 ulp for sums of a few dozen terms.
RTOL = {np.float32: 1e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


# ---- twin models ----------------------------------------------------------------------


def to_float64(model):
    """Replace every parameter of a lucid model by a float64 copy (torch: .double())."""
    for module in model.modules():
        for name, param in list(module.named_parameters(recurse=False)):
            setattr(module, name, nn.Parameter(param.data.astype(np.float64)))
    return model


def twins(make_lucid, make_torch, dtype, seed=0):
    """A lucid model with lucid's default initialisation and a PyTorch one with its weights."""
    lucid.random.seed(seed)
    lm = make_lucid().to(dtype)  # lucid's layers are float64 by default, PyTorch's float32
    tm = make_torch()
    if dtype == np.float64:
        tm.double()
    state = {k: torch.from_numpy(np.array(v)) for k, v in lm.state_dict().items()}  # arrays
    tm.load_state_dict(state, strict=True)
    return lm, tm


def assert_close(got, expected, dtype, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype == dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    rtol = RTOL[dtype]
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def check_twins(lm, tm, x, dtype, head=None, extra=()):
    """Forward and backward of ``head(model(x), *extra)`` in both libraries, compared.

    ``head`` is called as head(lib, y, *extra) with lib "lucid" or "torch" (a loss, say);
    ``extra`` are float arrays that enter as tensors requiring grad (targets). A
    non-scalar result is seeded with fixed random weights. Every gradient compared must
    be non-zero somewhere, so no comparison passes vacuously.
    """
    x = np.asarray(x, dtype=dtype)
    extra = [np.asarray(e, dtype=dtype) for e in extra]
    lx = lucid.Tensor(x.copy(), requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    lext = [lucid.Tensor(e.copy(), requires_grad=True) for e in extra]
    text = [torch.from_numpy(e.copy()).requires_grad_(True) for e in extra]
    ly, ty = lm(lx), tm(tx)
    assert_close(ly.data, ty.detach().numpy(), dtype, "model output")
    lout = ly if head is None else head("lucid", ly, *lext)
    tout = ty if head is None else head("torch", ty, *text)
    assert_close(lout.data, tout.detach().numpy(), dtype, "head output")
    w = np.random.default_rng(123).standard_normal(tuple(tout.shape)).astype(dtype)
    lout.grad = w.copy()
    lout.backward()
    tout.backward(torch.from_numpy(w.copy()))

    lparams = dict(lm.named_parameters())
    tparams = dict(tm.named_parameters())
    assert list(lparams) == list(tparams)
    pairs = [("input", lx.grad, tx.grad)]
    pairs += [
        (f"target {i}", a.grad, b.grad) for i, (a, b) in enumerate(zip(lext, text, strict=True))
    ]
    pairs += [(name, lparams[name].grad, tparams[name].grad) for name in tparams]
    for name, lg, tg in pairs:
        assert lg is not None and tg is not None, f"{name}: no gradient"
        expected = tg.numpy()
        assert np.any(expected != 0), f"{name}: PyTorch's gradient is all zero; pick inputs"
        assert_close(lg, expected, dtype, f"gradient of {name}")


def mlp(nn_, act, features=6, hidden=8, out=3, bias=True):
    return nn_.Sequential(nn_.Linear(features, hidden, bias=bias), act, nn_.Linear(hidden, out))


def inputs(shape, seed=1, scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# ---- class targets (losses and optimisers) -----------------------------------------------

N, C, D = 7, 4, 3  # batch, classes, extra positions of K-dimensional input


def class_targets(shape, ignore=None, seed=5):
    t = np.random.default_rng(seed).integers(0, C, shape).astype(np.int64)
    if ignore is not None:
        t.flat[[1, 4]] = ignore  # two entries ignored (whatever class they held)
    return t
