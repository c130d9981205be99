"""Function-level parity checks against PyTorch for tests/parity/test_*.py.

``compare`` calls a lucid function and its PyTorch counterpart on the same float arrays
(as tensors that require grad), compares the results, seeds backward with the same
fixed random weights, and compares the gradient of every array that requires one.

Not a test module (pytest collects test_*.py only); it needs PyTorch and skips by itself
where PyTorch is absent, as _parity does.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _parity import assert_close  # noqa: E402

import lucid  # noqa: E402


def rand(shape, seed=0, scale=1.0):
    """Fixed standard-normal float64 values (cast to the dtype under test by compare)."""
    return scale * np.random.default_rng(seed).standard_normal(shape)


def compare(lucid_fn, torch_fn, arrays, dtype, grads=None, what="result", seed=123):
    """Forward and backward of ``lucid_fn(*tensors)`` and ``torch_fn(*tensors)``, compared.

    ``arrays`` are cast to ``dtype``; ``grads`` says which of them require grad (all by
    default). Every gradient compared must be non-zero somewhere, so no comparison
    passes vacuously. Returns the lucid and the PyTorch results.
    """
    arrays = [np.asarray(a).astype(dtype) for a in arrays]
    grads = [True] * len(arrays) if grads is None else list(grads)
    lts = [lucid.Tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    tts = [torch.from_numpy(a.copy()).requires_grad_(g) for a, g in zip(arrays, grads, strict=True)]
    ly, ty = lucid_fn(*lts), torch_fn(*tts)
    assert_close(ly.data, ty.detach().numpy(), dtype, what)
    if not any(grads):
        return ly, ty
    w = np.random.default_rng(seed).standard_normal(tuple(ty.shape)).astype(dtype)
    ly.grad = w.copy()
    ly.backward()
    ty.backward(torch.from_numpy(w.copy()))
    for i, (lt, tt, g) in enumerate(zip(lts, tts, grads, strict=True)):
        if not g:
            continue
        assert lt.grad is not None and tt.grad is not None, f"{what}: no gradient for arg {i}"
        expected = tt.grad.numpy()
        assert np.any(expected != 0), f"{what}: PyTorch's gradient of arg {i} is all zero"
        assert_close(lt.grad, expected, dtype, f"{what}: gradient of arg {i}")
    return ly, ty
