"""The losses in lucid.nn.functional.loss and their modules.

Values are compared with references written here with explicit loops over samples and
math's functions (independent of the vectorised implementation), gradients with
float64 finite differences through check_op, which also checks the float32 path.
"""

import math
import warnings

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, _storage, nn

REDUCTIONS = ["mean", "sum", "none"]


# ---- references -------------------------------------------------------------------------


def reduce_ref(losses, reduction, divisor=None):
    losses = np.asarray(losses, dtype=np.float64)
    if reduction == "none":
        return losses
    total = float(losses.sum())
    if reduction == "sum":
        return np.asarray(total)
    return np.asarray(total / (losses.size if divisor is None else divisor))


def positions(x_shape):
    """(target index, function taking the class vector out of x) for every sample."""
    if len(x_shape) == 1:
        yield (), lambda x: x
        return
    for idx in np.ndindex((x_shape[0], *x_shape[2:])):
        n, rest = idx[0], idx[1:]
        yield idx, (lambda x, n=n, rest=rest: x[(n, slice(None), *rest)])


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    x = np.asarray(x, dtype=np.float64)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    losses = np.zeros(np.shape(t))
    divisor = 0.0
    for idx, scores in positions(x.shape):
        target = int(np.asarray(t)[idx])
        if target == ignore_index:
            continue
        z = scores(x)
        top = max(z)
        lse = top + math.log(sum(math.exp(v - top) for v in z))
        q = [(1 - smoothing) * (k == target) + smoothing / c for k in range(c)]
        losses[idx] = sum(w[k] * q[k] * (lse - z[k]) for k in range(c))
        divisor += w[target]
    return reduce_ref(losses, reduction, divisor)


def ref_nll(x, t, weight=None, ignore_index=-100, reduction="mean"):
    x = np.asarray(x, dtype=np.float64)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    losses = np.zeros(np.shape(t))
    divisor = 0.0
    for idx, scores in positions(x.shape):
        target = int(np.asarray(t)[idx])
        if target != ignore_index:
            losses[idx] = -w[target] * scores(x)[target]
            divisor += w[target]
    return reduce_ref(losses, reduction, divisor)


def ref_mse(x, y, reduction="mean"):
    losses = [(a - b) ** 2 for a, b in zip(np.ravel(x), np.ravel(y), strict=True)]
    return reduce_ref(np.reshape(losses, np.shape(x)), reduction)


def clamped_log(v):
    return max(math.log(v), -100.0) if v > 0 else -100.0


def ref_bce(x, y, weight=None, reduction="mean"):
    w = np.broadcast_to(1.0 if weight is None else weight, np.shape(x))
    losses = np.zeros(np.shape(x))
    for i in np.ndindex(np.shape(x)):
        p, t = float(x[i]), float(y[i])
        losses[i] = -w[i] * (t * clamped_log(p) + (1 - t) * clamped_log(1 - p))
    return reduce_ref(losses, reduction)


def ref_bce_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    shape = np.shape(x)
    w = np.broadcast_to(1.0 if weight is None else weight, shape)
    pw = np.broadcast_to(1.0 if pos_weight is None else pos_weight, shape)
    losses = np.zeros(shape)
    for i in np.ndindex(shape):
        s = 1 / (1 + math.exp(-float(x[i])))
        t = float(y[i])
        losses[i] = -w[i] * (pw[i] * t * math.log(s) + (1 - t) * math.log(1 - s))
    return reduce_ref(losses, reduction)


@pytest.fixture
def strict_numpy():
    """Any overflow, division by zero, invalid operation or warning is an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


RNG = np.random.default_rng(0)
T4 = np.array([0, 2, 1, 2])  # targets for (4, 3) scores
W3 = np.array([0.5, 2.0, 1.5])


# ---- values and gradients ----------------------------------------------------------------


def test_references_agree_with_hand_computed_values():
    # log(e^2 + e^0.5 + e^0.1) - 2 and log(1 + e^1.5 + e^0.2) - 1.5
    x, t = np.array([[2.0, 0.5, 0.1], [0.0, 1.5, 0.2]]), np.array([0, 1])
    first = math.log(math.exp(2) + math.exp(0.5) + math.exp(0.1)) - 2
    second = math.log(1 + math.exp(1.5) + math.exp(0.2)) - 1.5
    assert float(ref_cross_entropy(x, t)) == pytest.approx((first + second) / 2, rel=1e-12)
    out = F.cross_entropy(Tensor(x), Tensor(t))
    assert out.item() == pytest.approx((first + second) / 2, rel=1e-12)
    bce = F.binary_cross_entropy(Tensor(np.array([0.9, 0.2])), Tensor(np.array([1.0, 0.0])))
    assert bce.item() == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_values_and_gradients_of_input_and_target(reduction):
    check_op(
        lambda x, y: F.mse_loss(x, y, reduction=reduction),
        (3, 4),
        (3, 4),
        ref=lambda x, y: ref_mse(x, y, reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_values_and_gradients(reduction, weighted):
    w = W3 if weighted else None
    check_op(
        lambda x: F.cross_entropy(x, Tensor(T4), weight=w, reduction=reduction),
        (4, 3),
        ref=lambda x: ref_cross_entropy(x, T4, w, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_input(reduction):
    t = RNG.integers(0, 3, size=(2, 2, 3))
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), weight=Tensor(W3), reduction=reduction),
        (2, 3, 2, 3),
        ref=lambda x: ref_cross_entropy(x, t, W3, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched_input(reduction):
    t = np.array(2)
    out = F.cross_entropy(Tensor(np.zeros(4)), Tensor(t), reduction=reduction)
    assert out.shape == () and out.item() == pytest.approx(math.log(4), rel=1e-12)
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), reduction=reduction),
        (4,),
        ref=lambda x: ref_cross_entropy(x, t, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_ignore_index(reduction, weighted):
    t = np.array([0, -100, 2, 1, -100])
    w = W3 if weighted else None
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), weight=w, reduction=reduction),
        (5, 3),
        ref=lambda x: ref_cross_entropy(x, t, w, reduction=reduction),
    )
    # A custom ignore_index inside [0, C) drops that class's samples.
    check_op(
        lambda x: F.cross_entropy(x, Tensor(T4), weight=w, ignore_index=2, reduction=reduction),
        (4, 3),
        ref=lambda x: ref_cross_entropy(x, T4, w, ignore_index=2, reduction=reduction),
    )


def test_ignored_samples_give_zero_loss_and_gradient():
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    t = Tensor(np.array([1, -100, 3]))
    loss = F.cross_entropy(x, t, reduction="none")
    assert loss.data[1] == 0
    F.cross_entropy(x, t).backward()
    np.testing.assert_array_equal(x.grad[1], np.zeros(4))
    assert np.all(x.grad[[0, 2]] != 0)


def test_all_targets_ignored_gives_nan_mean_and_zero_gradient(strict_numpy):
    # As PyTorch: 0 / 0 for the loss, but nothing flows back.
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, Tensor(np.array([-100, -100])))
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    assert F.cross_entropy(x, Tensor(np.array([-100, -100])), reduction="sum").item() == 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_label_smoothing(reduction, weighted):
    t = np.array([0, 2, -100, 1, 2])
    w = W3 if weighted else None
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), weight=w, reduction=reduction, label_smoothing=0.2),
        (5, 3),
        ref=lambda x: ref_cross_entropy(x, t, w, reduction=reduction, smoothing=0.2),
    )


def test_label_smoothing_of_one_is_the_uniform_target():
    x = RNG.standard_normal((3, 5))
    out = F.cross_entropy(Tensor(x), Tensor(np.array([0, 4, 2])), label_smoothing=1.0)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    assert out.item() == pytest.approx(-logp.mean(axis=1).mean(), rel=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = RNG.standard_normal((4, 3))
    xt = Tensor(x, requires_grad=True)
    F.cross_entropy(xt, Tensor(T4), weight=W3, reduction="sum").backward()
    softmax = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    expected = (softmax - np.eye(3)[T4]) * W3[T4][:, None]
    np.testing.assert_allclose(xt.grad, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_extreme_logits(dtype, strict_numpy):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [1000.0, 1000.0, -1000.0]])
    xt = Tensor(x.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(xt, Tensor(np.array([1, 1, 0])), reduction="none")
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [2000.0, 0.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    expected = [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]]
    np.testing.assert_allclose(xt.grad, expected, atol=1e-6)
    t = Tensor(np.array([1, 1, 0]))
    smoothed = F.cross_entropy(Tensor(x.astype(dtype)), t, None, -100, "mean", 0.1)
    assert np.isfinite(smoothed.item())


def test_cross_entropy_accepts_minus_infinity_logits(strict_numpy):
    # A masked class (-inf logit) has probability 0; an ignored row may hold -inf too.
    x = Tensor(np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, [2, -100])
    assert loss.item() == pytest.approx(math.log(1 + math.e) - 1, rel=1e-12)
    loss.backward()
    s = 1 / (1 + math.e)
    np.testing.assert_allclose(x.grad, [[s, 0.0, -s], [0.0, 0.0, 0.0]], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_values_and_gradients(reduction, weighted):
    t = np.array([1, 0, -100, 2])
    w = W3 if weighted else None
    check_op(
        lambda x: F.nll_loss(x, Tensor(t), weight=w, reduction=reduction),
        (4, 3),
        ref=lambda x: ref_nll(x, t, w, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_spatial_and_unbatched(reduction):
    t = RNG.integers(0, 4, size=(2, 3))
    check_op(
        lambda x: F.nll_loss(x, Tensor(t), weight=[1.0, 2.0, 3.0, 4.0], reduction=reduction),
        (2, 4, 3),
        ref=lambda x: ref_nll(x, t, [1.0, 2.0, 3.0, 4.0], reduction=reduction),
    )
    check_op(
        lambda x: F.nll_loss(x, Tensor(np.array(1)), reduction=reduction),
        (3,),
        ref=lambda x: ref_nll(x, np.array(1), reduction=reduction),
    )


def test_nll_of_log_softmax_is_cross_entropy():
    x = RNG.standard_normal((6, 5))
    t = RNG.integers(0, 5, size=6)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    for kwargs in [{}, {"weight": np.arange(1.0, 6.0)}, {"reduction": "none"}]:
        np.testing.assert_allclose(
            F.nll_loss(Tensor(logp), Tensor(t), **kwargs).data,
            F.cross_entropy(Tensor(x), Tensor(t), **kwargs).data,
            rtol=1e-12,
        )


def test_nll_loss_ignores_minus_infinity_of_ignored_samples(strict_numpy):
    x = Tensor(np.array([[-np.inf, -0.5], [-1.0, -2.0]]), requires_grad=True)
    loss = F.nll_loss(x, Tensor(np.array([-100, 0])))
    assert loss.item() == 1.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [-1.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_values_and_gradients(reduction, weighted):
    w = np.array([0.5, 1.0, 2.0, 3.0]) if weighted else None
    check_op(
        lambda p, y: F.binary_cross_entropy(p, y, weight=w, reduction=reduction),
        (3, 4),
        (3, 4),
        ref=lambda p, y: ref_bce(p, y, w, reduction),
        low=0.05,
        high=0.95,
    )


def test_binary_cross_entropy_clamps_its_logs_at_minus_100(strict_numpy):
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.5]), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0, 0.5]), requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0, math.log(2)], rtol=1e-12)
    loss.sum().backward()
    # PyTorch's input gradient (x - y) / max(x(1 - x), 1e-12); the target's log(1-x) - log x.
    np.testing.assert_allclose(p.grad, [-1e12, 1e12, 0.0, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(y.grad, [100.0, -100.0, 100.0, -100.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_values_and_gradients(reduction, weighted):
    x = RNG.uniform(-3, 3, (3, 4))
    y = RNG.uniform(0, 1, (3, 4))
    w = np.array([[0.5], [1.0], [2.0]]) if weighted else None
    pw = np.array([1.0, 2.0, 0.5, 3.0]) if weighted else None
    check_op(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, pw, reduction=reduction),
        x,
        y,
        ref=lambda a, b: ref_bce_logits(a, b, w, pw, reduction),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_for_extreme_logits(dtype, strict_numpy):
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0], atol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(y.grad, -x.data, rtol=1e-6)  # d/dy = -x without pos_weight


def test_bce_with_logits_matches_bce_of_sigmoid():
    x = RNG.uniform(-4, 4, 10)
    y = RNG.uniform(0, 1, 10)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(Tensor(x), Tensor(y), reduction="none").data,
        F.binary_cross_entropy(Tensor(1 / (1 + np.exp(-x))), Tensor(y), reduction="none").data,
        rtol=1e-10,
    )


# ---- dtypes, storage and targets ---------------------------------------------------------


CASES = [
    (lambda x: F.mse_loss(x, Tensor(np.zeros((4, 3), np.float32)))),
    (lambda x: F.cross_entropy(x, Tensor(T4))),
    (lambda x: F.nll_loss(x, Tensor(T4), weight=Tensor(W3))),
    (lambda x: F.binary_cross_entropy(x * 0.5 + 0.25, Tensor(np.ones((4, 3))))),
    (lambda x: F.binary_cross_entropy_with_logits(x, np.ones((4, 3)), pos_weight=W3)),
]


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_keep_the_input_dtype_in_rust_storage(fn, dtype):
    x = Tensor(RNG.uniform(0, 1, (4, 3)).astype(dtype), requires_grad=True)
    loss = fn(x)
    assert loss.dtype == dtype and loss.shape == ()
    assert _storage.is_storage_view(loss.data)
    loss.backward()
    assert x.grad.dtype == dtype and x.grad.shape == (4, 3) and np.all(np.isfinite(x.grad))


def test_mse_target_gets_the_negated_gradient_and_class_targets_none():
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    y = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    F.mse_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, 2 * (x.data - y.data), rtol=1e-12)
    np.testing.assert_allclose(y.grad, -x.grad, rtol=1e-12)
    t = Tensor(np.array([0, 1]))
    F.cross_entropy(x, t).backward()
    assert t.grad is None and not t.requires_grad


def test_class_weights_get_no_gradient():
    w = Tensor(W3, requires_grad=True)
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    F.cross_entropy(x, Tensor(T4), weight=w).backward()
    assert w.grad is None and x.grad is not None


def test_weighted_mean_divides_by_the_summed_target_weights():
    x = RNG.standard_normal((4, 3))
    none = F.cross_entropy(Tensor(x), Tensor(T4), weight=W3, reduction="none").data
    mean = F.cross_entropy(Tensor(x), Tensor(T4), weight=W3).item()
    assert mean == pytest.approx(none.sum() / W3[T4].sum(), rel=1e-12)
    assert mean != pytest.approx(none.mean(), rel=1e-3)
    # So a global rescaling of the weights changes neither the mean nor its gradient.
    grads = []
    for scale in (1.0, 0.01):
        xt = Tensor(x, requires_grad=True)
        loss = F.cross_entropy(xt, Tensor(T4), weight=W3 * scale)
        assert loss.item() == pytest.approx(mean, rel=1e-12)
        loss.backward()
        grads.append(xt.grad)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_targets_may_be_numpy_arrays_or_lists():
    x = Tensor(RNG.standard_normal((4, 3)))
    expected = F.cross_entropy(x, Tensor(T4)).item()
    assert F.cross_entropy(x, T4).item() == expected
    assert F.cross_entropy(x, [0, 2, 1, 2]).item() == expected
    assert F.mse_loss(x, x.data.tolist()).item() == 0


# ---- errors -------------------------------------------------------------------------------


ALL = {
    "mse_loss": lambda **kw: F.mse_loss(Tensor(np.zeros(3)), Tensor(np.zeros(3)), **kw),
    "cross_entropy": lambda **kw: F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], **kw),
    "nll_loss": lambda **kw: F.nll_loss(Tensor(np.zeros((2, 3))), [0, 1], **kw),
    "bce": lambda **kw: F.binary_cross_entropy(Tensor(np.full(3, 0.5)), np.zeros(3), **kw),
    "bce_logits": lambda **kw: F.binary_cross_entropy_with_logits(
        Tensor(np.zeros(3)), np.zeros(3), **kw
    ),
}


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", ["avg", "elementwise_mean", None, 1])
def test_unknown_reduction_is_a_value_error_naming_it(name, bad):
    with pytest.raises(ValueError, match=f"reduction.*{bad!r}"):
        ALL[name](reduction=bad)


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss])
def test_modules_check_reduction_when_built(cls):
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        cls(reduction="avg")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_targets_out_of_range_are_value_errors(fn):
    x = Tensor(np.zeros((3, 4)))
    for bad in (4, -1, 7):
        with pytest.raises(ValueError, match=rf"target.*\[0, 4\).*got {bad}"):
            fn(x, [0, bad, 1])
    with pytest.raises(ValueError, match="got -100"):
        fn(x, [0, -100, 1], ignore_index=-1)
    fn(x, [0, -1, 1], ignore_index=-1)  # fine: -1 is then the ignored index


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_float_or_bool_class_targets_are_type_errors(fn):
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="target.*float32"):
        fn(x, Tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="target.*bool"):
        fn(x, np.array([True, False]))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_target_and_weight_shapes_are_checked(fn):
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"target must have shape \(2, 4\), got \(2,\)"):
        fn(x, [0, 1])
    with pytest.raises(ValueError, match=r"target must have shape \(\), got \(1,\)"):
        fn(Tensor(np.zeros(3)), [0])
    with pytest.raises(ValueError, match=r"input_.*shape \(\)"):
        fn(Tensor(np.zeros(())), np.array(0))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\).*\(2,\)"):
        fn(x, np.zeros((2, 4), np.int64), weight=[1.0, 2.0])
    with pytest.raises(TypeError, match="ignore_index"):
        fn(x, np.zeros((2, 4), np.int64), ignore_index="mean")


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_label_smoothing_outside_zero_one_is_a_value_error(bad):
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], label_smoothing=bad)
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=bad)


def test_mismatched_shapes_are_value_errors():
    x = Tensor(np.full((2, 3), 0.5))
    for fn in (F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"target.*\(2, 3\).*\(3,\)"):
            fn(x, np.full(3, 0.5))
    with pytest.raises(ValueError, match=r"weight.*\(2,\).*\(2, 3\)"):
        F.binary_cross_entropy(x, np.zeros((2, 3)), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"pos_weight.*\(2, 1, 3\)"):
        F.binary_cross_entropy_with_logits(x, np.zeros((2, 3)), pos_weight=np.ones((2, 1, 3)))


@pytest.mark.parametrize("bad", [1.5, -0.25, float("nan")])
def test_bce_probabilities_outside_zero_one_are_value_errors(bad):
    good = np.full(3, 0.5)
    values = np.array([0.5, bad, 0.5])
    with pytest.raises(ValueError, match=f"input_ must hold probabilities.*got {bad}"):
        F.binary_cross_entropy(Tensor(values), good)
    with pytest.raises(ValueError, match=f"target must hold probabilities.*got {bad}"):
        F.binary_cross_entropy(Tensor(good), values)


@pytest.mark.parametrize("name", ["mse_loss", "cross_entropy", "binary_cross_entropy"])
def test_input_must_be_a_float_tensor(name):
    fn = getattr(F, name)
    target = [0, 1] if name == "cross_entropy" else np.zeros((2, 2))
    with pytest.raises(TypeError, match="input_ must be a lucid Tensor, got ndarray"):
        fn(np.zeros((2, 2)), target)
    with pytest.raises(TypeError, match="input_ must be float32 or float64, got dtype int64"):
        fn(Tensor(np.zeros((2, 2), np.int64)), target)


# ---- modules ------------------------------------------------------------------------------


def test_modules_match_their_functions():
    x = Tensor(RNG.standard_normal((4, 3)))
    p = Tensor(RNG.uniform(0.1, 0.9, (4, 3)))
    y = Tensor(RNG.uniform(0, 1, (4, 3)))
    logp = Tensor(x.data - np.log(np.exp(x.data).sum(axis=1, keepdims=True)))
    pairs = [
        (nn.MSELoss(reduction="sum")(x, y), F.mse_loss(x, y, "sum")),
        (
            nn.CrossEntropyLoss(W3, ignore_index=1, label_smoothing=0.1)(x, T4),
            F.cross_entropy(x, T4, W3, ignore_index=1, label_smoothing=0.1),
        ),
        (nn.NLLLoss(W3, reduction="none")(logp, T4), F.nll_loss(logp, T4, W3, reduction="none")),
        (nn.BCELoss(W3)(p, y), F.binary_cross_entropy(p, y, W3)),
        (
            nn.BCEWithLogitsLoss(W3, "sum", pos_weight=W3[::-1].copy())(x, y),
            F.binary_cross_entropy_with_logits(x, y, W3, W3[::-1].copy(), "sum"),
        ),
    ]
    for got, expected in pairs:
        np.testing.assert_array_equal(got.data, expected.data)


def test_weights_are_buffers_as_in_pytorch():
    w = Tensor(W3)
    ce = nn.CrossEntropyLoss(weight=w)
    assert ce.weight is w and [n for n, _ in ce.named_buffers()] == ["weight"]
    assert list(ce.parameters()) == [] and list(ce.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == [] and nn.NLLLoss().weight is None
    bce = nn.BCEWithLogitsLoss(weight=[1.0, 2.0], pos_weight=np.array([3.0, 4.0]))
    assert isinstance(bce.pos_weight, Tensor) and bce.pos_weight.dtype == np.float64
    assert list(bce.state_dict()) == ["weight", "pos_weight"]
    target = nn.NLLLoss(weight=Tensor(np.zeros(3)))
    target.load_state_dict(nn.NLLLoss(weight=w).state_dict())
    np.testing.assert_array_equal(target.weight.data, W3)
    assert not hasattr(nn.MSELoss(), "weight")


def test_module_reprs():
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert repr(nn.NLLLoss(reduction="sum")) == "NLLLoss(ignore_index=-100, reduction='sum')"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == (
        "CrossEntropyLoss(ignore_index=-100, reduction='mean', label_smoothing=0.1)"
    )


def test_a_training_step_reduces_the_loss():
    lucid.random.seed(0)
    layer = nn.Linear(4, 3)
    x = Tensor(RNG.standard_normal((16, 4)).astype(np.float32))
    t = Tensor(RNG.integers(0, 3, size=16))
    criterion = nn.CrossEntropyLoss()
    before = criterion(layer(x), t)
    before.backward()
    for p in layer.parameters():
        p.data -= 0.5 * p.grad
    assert criterion(layer(x), t).item() < before.item()
