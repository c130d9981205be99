"""The losses' lucid signatures: positional orders, reduction=None, and lucid's eps in
cross_entropy (−log(p_t + eps)) and binary_cross_entropy (x clipped to [eps, 1 − eps])."""

import inspect
import math

import numpy as np
import pytest

import lucid.nn.functional as F
from lucid import Tensor, nn

X = np.array([[2.0, 0.5, 0.1], [0.0, 1.5, 0.2], [-1.0, 3.0, 0.0], [0.3, 0.3, -40.0]])
T = np.array([0, 1, 2, 2])
W = np.array([1.0, 2.0, 0.5])


def positional(fn):
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)
    return [n for n, p in inspect.signature(fn).parameters.items() if p.kind in kinds]


@pytest.mark.parametrize(
    "fn, names",
    [
        (F.cross_entropy, ["input_", "target", "weight", "reduction", "eps", "ignore_index"]),
        (F.nll_loss, ["input_", "target", "weight", "reduction", "ignore_index"]),
        (F.binary_cross_entropy, ["input_", "target", "weight", "reduction", "eps"]),
        (
            F.binary_cross_entropy_with_logits,
            ["input_", "target", "weight", "pos_weight", "reduction"],
        ),
        (F.mse_loss, ["input_", "target", "reduction"]),
        (nn.CrossEntropyLoss.__init__, ["self", "weight", "reduction", "eps"]),
        (nn.NLLLoss.__init__, ["self", "weight", "reduction"]),
        (nn.BCELoss.__init__, ["self", "weight", "reduction", "eps"]),
        (nn.BCEWithLogitsLoss.__init__, ["self", "weight", "reduction", "eps"]),
        (nn.MSELoss.__init__, ["self", "reduction"]),
    ],
)
def test_positional_orders_are_lucids(fn, names):
    assert positional(fn) == names
    params = inspect.signature(fn).parameters
    if "eps" in params:
        assert params["eps"].default == 1e-7


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("eps", [1e-7, 1e-3, 0.25])
def test_cross_entropy_is_minus_log_of_p_plus_eps_with_its_slope(eps):
    p = softmax(X)
    pt = p[np.arange(4), T]
    want = -W[T] * np.log(pt + eps)
    x = Tensor(X, requires_grad=True)
    loss = F.cross_entropy(x, Tensor(T), Tensor(W), "none", eps)
    np.testing.assert_allclose(loss.data, want, rtol=1e-13)
    loss.sum().backward()
    # d/dx of −log(p_t + eps) is r·(p − onehot), r = p_t / (p_t + eps).
    onehot = np.eye(3)[T]
    r = pt / (pt + eps)
    np.testing.assert_allclose(x.grad, (W[T] * r)[:, None] * (p - onehot), rtol=1e-12, atol=1e-15)


def test_cross_entropy_default_eps_and_eps_zero():
    exact = -np.log(softmax(X)[np.arange(4), T])
    default = F.cross_entropy(Tensor(X), Tensor(T), None, None).data
    np.testing.assert_allclose(default, -np.log(np.exp(-exact) + 1e-7), rtol=1e-13)
    np.testing.assert_allclose(
        F.cross_entropy(Tensor(X), Tensor(T), eps=0).data.mean(), exact.mean()
    )
    # A vanishing p_t (logit −40 against 0.3) costs −log(p_t + eps) <= −log eps.
    assert default[3] < -math.log(1e-7) < exact[3]


def test_cross_entropy_module_passes_lucids_arguments_by_position():
    module = nn.CrossEntropyLoss(Tensor(W), "sum", 1e-3)
    assert module.eps == 1e-3 and module.reduction == "sum"
    want = F.cross_entropy(Tensor(X), Tensor(T), Tensor(W), "sum", 1e-3)
    assert module(Tensor(X), Tensor(T)).item() == want.item()
    smoothed = nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.1)(Tensor(X), Tensor(T))
    direct = F.cross_entropy(Tensor(X), Tensor(T), ignore_index=1, label_smoothing=0.1)
    assert smoothed.item() == direct.item()


def test_ignore_index_none_ignores_nothing_and_minus_100_is_no_class_then():
    everything = F.cross_entropy(Tensor(X), Tensor(T), None, "sum", 0, None).item()
    assert everything == pytest.approx(
        F.cross_entropy(Tensor(X), Tensor(T), reduction="sum", eps=0).item()
    )
    with pytest.raises(
        ValueError, match=r"class indices in \[0, 3\) or ignore_index \(None\), got -100"
    ):
        F.cross_entropy(Tensor(X), Tensor(np.array([0, 1, 2, -100])), ignore_index=None)
    logp = np.log(softmax(X))
    nll = F.nll_loss(Tensor(logp), Tensor(T), Tensor(W), "none", 2).data
    np.testing.assert_allclose(nll, np.where(T == 2, 0.0, -W[T] * logp[np.arange(4), T]))


@pytest.mark.parametrize("eps", [1e-7, 0.1])
def test_binary_cross_entropy_clips_its_input_to_eps_and_1_minus_eps(eps):
    x = np.array([0.0, 1.0, eps / 2, 0.3, 0.7, 1 - eps / 2])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    clipped = np.clip(x, eps, 1 - eps)
    want = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    xt = Tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy(xt, Tensor(y), None, None, eps)
    np.testing.assert_allclose(loss.data, want, rtol=1e-12)
    loss.sum().backward()
    inside = (x >= eps) & (x <= 1 - eps)
    slope = (clipped - y) / (clipped * (1 - clipped))
    np.testing.assert_allclose(xt.grad, np.where(inside, slope, 0.0), rtol=1e-12)
    assert F.binary_cross_entropy(Tensor(x), Tensor(y), reduction="none").data[0] == pytest.approx(
        -math.log(1e-7)
    )  # the default eps: a sure miss costs 16.1, not PyTorch's 100


def test_bce_modules_take_eps_third_and_pos_weight_by_name():
    x, y = np.array([0.2, 0.9, 0.5]), np.array([0.0, 1.0, 1.0])
    assert nn.BCELoss(None, "sum", 0.3)(Tensor(x), Tensor(y)).item() == pytest.approx(
        F.binary_cross_entropy(Tensor(x), Tensor(y), None, "sum", 0.3).item()
    )
    logits = np.array([-2.0, 3.0, 0.0])
    module = nn.BCEWithLogitsLoss(None, "none", 1e-3, pos_weight=Tensor(np.array([2.0, 2.0, 2.0])))
    assert module.eps == 1e-3
    want = F.binary_cross_entropy_with_logits(
        Tensor(logits), Tensor(y), pos_weight=Tensor(np.full(3, 2.0)), reduction="none"
    )
    np.testing.assert_array_equal(module(Tensor(logits), Tensor(y)).data, want.data)
    with pytest.raises(TypeError):
        nn.BCEWithLogitsLoss(None, "mean", 1e-7, Tensor(np.ones(3)))


@pytest.mark.parametrize(
    "loss",
    [
        lambda r: F.mse_loss(Tensor(X), Tensor(X[::-1].copy()), reduction=r),
        lambda r: F.cross_entropy(Tensor(X), Tensor(T), reduction=r),
        lambda r: F.nll_loss(Tensor(X), Tensor(T), reduction=r),
        lambda r: F.binary_cross_entropy(Tensor(softmax(X)), Tensor(softmax(X.T).T), reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(Tensor(X), Tensor(softmax(X)), reduction=r),
        lambda r: nn.CrossEntropyLoss(reduction=r)(Tensor(X), Tensor(T)),
        lambda r: nn.MSELoss(r)(Tensor(X), Tensor(X * 2)),
    ],
)
def test_reduction_none_is_no_reduction(loss):
    np.testing.assert_array_equal(loss(None).data, loss("none").data)
    assert loss(None).shape in (X.shape, (4,))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.cross_entropy(Tensor(X), Tensor(T), None, -100), ValueError, "lucid's order"),
        (
            lambda: F.cross_entropy(Tensor(X), Tensor(T), eps=-1e-9),
            ValueError,
            r"eps must be in \[0, 1\)",
        ),
        (
            lambda: F.cross_entropy(Tensor(X), Tensor(T), eps="small"),
            TypeError,
            "eps must be a number",
        ),
        (lambda: F.binary_cross_entropy(Tensor(X * 0), Tensor(X * 0), eps=0.5), ValueError, "eps"),
        (lambda: nn.BCELoss(eps=float("nan")), ValueError, "BCELoss: eps"),
        (lambda: nn.CrossEntropyLoss(eps=True), TypeError, "CrossEntropyLoss: eps"),
        (
            lambda: F.cross_entropy(Tensor(X), Tensor(T), ignore_index=1.5),
            TypeError,
            "ignore_index",
        ),
    ],
)
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()
