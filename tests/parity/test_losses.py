"""Parity with PyTorch: the losses, on twin models, to their input's and targets' gradients.

CrossEntropyLoss (weight, ignore_index, label_smoothing, K-dimensional input) and NLLLoss
on class targets; MSELoss, BCELoss and BCEWithLogitsLoss (weight, pos_weight) on float
targets that require grad; every reduction, in float32 and float64.

Skipped as a whole where PyTorch is not installed.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _parity import DTYPES, C, D, N, check_twins, class_targets, inputs, mlp, twins  # noqa: E402

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

tnn = torch.nn
REDUCTIONS = ["mean", "sum", "none"]


# ---- class targets: CrossEntropyLoss, NLLLoss ----------------------------------------


def class_loss_head(lucid_loss, torch_loss, target, kdim, log_softmax):
    """head(lib, y): the loss of the model's output, reshaped to (N, C, D) for K-dim and
    turned into log-probabilities over the class axis for NLLLoss."""

    def head(lib, y):
        if kdim:
            y = y.reshape(N, C, D)
        if lib == "lucid":
            y = nn.LogSoftmax(axis=1)(y) if log_softmax else y
            return lucid_loss(y, lucid.Tensor(target))
        y = tnn.LogSoftmax(dim=1)(y) if log_softmax else y
        return torch_loss(y, torch.from_numpy(target))

    return head


def weights(dtype, seed=6):
    return np.random.default_rng(seed).uniform(0.2, 2.0, C).astype(dtype)


# (id, loss kwargs builder given dtype, ignore value put in the targets or None)
CLASS_CASES = [
    ("plain", lambda dt: {}, None),
    ("weight", lambda dt: {"weight": weights(dt)}, None),
    ("ignore -100", lambda dt: {}, -100),
    ("ignore class 1, weight", lambda dt: {"weight": weights(dt), "ignore_index": 1}, 1),
]
SMOOTHING_CASES = [
    ("smoothing", lambda dt: {"label_smoothing": 0.1}, None),
    ("smoothing, weight", lambda dt: {"label_smoothing": 0.2, "weight": weights(dt)}, None),
    (
        "smoothing, weight, ignore",
        lambda dt: {"label_smoothing": 0.3, "weight": weights(dt), "ignore_index": 2},
        2,
    ),
]


def tensor_kwargs(kwargs, lib):
    """The loss's keyword arguments with arrays as that library's tensors."""
    convert = lucid.Tensor if lib == "lucid" else torch.from_numpy
    return {k: convert(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def run_class_loss(name, kwargs, ignore, reduction, kdim, dtype, log_softmax):
    target = class_targets((N, D) if kdim else (N,), ignore)
    out = C * D if kdim else C
    # eps=0: lucid 2.x's default guard (log(p + 1e-7)) moves the value by ~1e-7.
    extra = {"eps": 0.0} if name == "CrossEntropyLoss" else {}
    lucid_loss = getattr(nn, name)(reduction=reduction, **tensor_kwargs(kwargs, "lucid"), **extra)
    torch_loss = getattr(tnn, name)(reduction=reduction, **tensor_kwargs(kwargs, "torch"))
    lm, tm = twins(
        lambda: mlp(nn, nn.Tanh(), out=out), lambda: mlp(tnn, tnn.Tanh(), out=out), dtype
    )
    head = class_loss_head(lucid_loss, torch_loss, target, kdim, log_softmax)
    check_twins(lm, tm, inputs((N, 6)), dtype, head=head)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kdim", [False, True], ids=["(N,C)", "(N,C,D)"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES + SMOOTHING_CASES, ids=lambda c: c[0])
def test_cross_entropy_matches_pytorch(case, reduction, kdim, dtype):
    _, kwargs, ignore = case
    run_class_loss("CrossEntropyLoss", kwargs(dtype), ignore, reduction, kdim, dtype, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kdim", [False, True], ids=["(N,C)", "(N,C,D)"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES, ids=lambda c: c[0])
def test_nll_loss_matches_pytorch(case, reduction, kdim, dtype):
    _, kwargs, ignore = case
    run_class_loss("NLLLoss", kwargs(dtype), ignore, reduction, kdim, dtype, True)


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient_as_pytorch(name):
    """PyTorch gives nan for a mean over no counted target, and a zero gradient."""
    x = inputs((N, C))
    target = np.full(N, -100, dtype=np.int64)
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    lloss = getattr(nn, name)()(lx, lucid.Tensor(target))
    tloss = getattr(tnn, name)()(tx, torch.from_numpy(target))
    assert math.isnan(lloss.item()) and math.isnan(tloss.item())
    lloss.backward()
    tloss.backward()
    np.testing.assert_array_equal(lx.grad, tx.grad.numpy())


# ---- float targets: MSELoss, BCELoss, BCEWithLogitsLoss ------------------------------


def float_loss_case(name, kwargs, reduction, dtype, target, final=None):
    """An MLP (then the layer named ``final``) into a loss whose target requires grad."""

    def make(nn_):
        model = mlp(nn_, nn_.SELU())
        return model if final is None else nn_.Sequential(model, getattr(nn_, final)())

    lm, tm = twins(lambda: make(nn), lambda: make(tnn), dtype)
    # eps=0: lucid 2.x's default guard (log(p + 1e-7)) moves the value by ~1e-7.
    extra = {"eps": 0.0} if name == "CrossEntropyLoss" else {}
    lucid_loss = getattr(nn, name)(reduction=reduction, **tensor_kwargs(kwargs, "lucid"), **extra)
    torch_loss = getattr(tnn, name)(reduction=reduction, **tensor_kwargs(kwargs, "torch"))

    def head(lib, y, t):
        return (lucid_loss if lib == "lucid" else torch_loss)(y, t)

    check_twins(lm, tm, inputs((N, 6)), dtype, head=head, extra=[target])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_pytorch(reduction, dtype):
    float_loss_case("MSELoss", {}, reduction, dtype, inputs((N, 3), seed=7))


def probabilities(seed=8):
    return np.random.default_rng(seed).uniform(0.05, 0.95, (N, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["", "weight"])
def test_bce_loss_matches_pytorch(weighted, reduction, dtype):
    kwargs = {"weight": np.array([0.5, 1.0, 2.0], dtype)} if weighted else {}
    float_loss_case("BCELoss", kwargs, reduction, dtype, probabilities(), final="Sigmoid")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weight": np.array([0.5, 1.0, 2.0])},
        {"pos_weight": np.array([3.0, 0.5, 1.0])},
        {"weight": np.full((N, 1), 0.7), "pos_weight": np.array([3.0, 0.5, 1.0])},
    ],
    ids=["", "weight", "pos_weight", "both"],
)
def test_bce_with_logits_loss_matches_pytorch(kwargs, reduction, dtype):
    kwargs = {k: v.astype(dtype) for k, v in kwargs.items()}
    float_loss_case("BCEWithLogitsLoss", kwargs, reduction, dtype, probabilities())
