"""cross_entropy and nll_loss, the losses over class-index targets.

Values against the loop references in _loss_refs and gradients by finite differences
(check_op) for every reduction, with class weights, ignore_index, label smoothing,
spatial (N, C, d...) and unbatched input; the closed-form gradient, stability for
extreme and -inf logits, the weighted mean, and the errors for bad class targets.
"""

import math

import numpy as np
import pytest
from _loss_refs import REDUCTIONS, T4, W3, ref_cross_entropy, ref_nll
from helpers import check_op, like

import lucid.nn.functional as F
from lucid import Tensor, nn

RNG = np.random.default_rng(0)


# ---- values and gradients ----------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_values_and_gradients(reduction, weighted):
    w = W3 if weighted else None
    check_op(
        lambda x: F.cross_entropy(x, Tensor(T4), weight=like(w, x), reduction=reduction),
        (4, 3),
        ref=lambda x: ref_cross_entropy(x, T4, w, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_input(reduction):
    t = RNG.integers(0, 3, size=(2, 2, 3))
    check_op(
        lambda x: F.cross_entropy(
            x, Tensor(t), weight=Tensor(W3.astype(x.dtype)), reduction=reduction
        ),
        (2, 3, 2, 3),
        ref=lambda x: ref_cross_entropy(x, t, W3, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched_input(reduction):
    t = np.array(2)
    out = F.cross_entropy(Tensor(np.zeros(4)), Tensor(t), reduction=reduction, eps=0)
    assert out.shape == () and out.item() == pytest.approx(math.log(4), rel=1e-12)
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), reduction=reduction, eps=0),
        (4,),
        ref=lambda x: ref_cross_entropy(x, t, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_ignore_index(reduction, weighted):
    t = np.array([0, -100, 2, 1, -100])
    w = W3 if weighted else None
    check_op(
        lambda x: F.cross_entropy(x, Tensor(t), weight=like(w, x), reduction=reduction),
        (5, 3),
        ref=lambda x: ref_cross_entropy(x, t, w, reduction=reduction),
    )
    # A custom ignore_index inside [0, C) drops that class's samples.
    check_op(
        lambda x: F.cross_entropy(
            x, Tensor(T4), weight=like(w, x), ignore_index=2, reduction=reduction
        ),
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
        lambda x: F.cross_entropy(
            x, Tensor(t), weight=like(w, x), reduction=reduction, label_smoothing=0.2
        ),
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
    F.cross_entropy(xt, Tensor(T4), weight=W3, reduction="sum", eps=0).backward()
    softmax = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    expected = (softmax - np.eye(3)[T4]) * W3[T4][:, None]
    np.testing.assert_allclose(xt.grad, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_extreme_logits(dtype, strict_numpy):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [1000.0, 1000.0, -1000.0]])
    xt = Tensor(x.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(xt, Tensor(np.array([1, 1, 0])), reduction="none", eps=0)
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [2000.0, 0.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    expected = [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]]
    np.testing.assert_allclose(xt.grad, expected, atol=1e-6)
    t = Tensor(np.array([1, 1, 0]))
    smoothed = F.cross_entropy(
        Tensor(x.astype(dtype)), t, None, "mean", 0, -100, label_smoothing=0.1
    )
    assert np.isfinite(smoothed.item())


def test_cross_entropy_accepts_minus_infinity_logits(strict_numpy):
    # A masked class (-inf logit) has probability 0; an ignored row may hold -inf too.
    x = Tensor(np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, [2, -100], eps=0)
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
        lambda x: F.nll_loss(x, Tensor(t), weight=like(w, x), reduction=reduction),
        (4, 3),
        ref=lambda x: ref_nll(x, t, w, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_spatial_and_unbatched(reduction):
    t = RNG.integers(0, 4, size=(2, 3))
    check_op(
        lambda x: F.nll_loss(
            x, Tensor(t), weight=like([1.0, 2.0, 3.0, 4.0], x), reduction=reduction
        ),
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
            F.cross_entropy(Tensor(x), Tensor(t), **kwargs, eps=0).data,
            rtol=1e-12,
        )


def test_nll_loss_ignores_minus_infinity_of_ignored_samples(strict_numpy):
    x = Tensor(np.array([[-np.inf, -0.5], [-1.0, -2.0]]), requires_grad=True)
    loss = F.nll_loss(x, Tensor(np.array([-100, 0])))
    assert loss.item() == 1.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [-1.0, 0.0]])


# ---- class weights --------------------------------------------------------------------------


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


# ---- errors -------------------------------------------------------------------------------


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
def test_float_class_targets_must_be_whole_and_bool_ones_are_type_errors(fn):
    x = Tensor(np.zeros((2, 3)))
    # As lucid's, a float target of whole numbers is cast to class indices; others are refused.
    assert fn(x, Tensor([0.0, 1.0])).item() == fn(x, np.array([0, 1])).item()
    with pytest.raises(ValueError, match="whole class indices, got 0.5"):
        fn(x, Tensor([0.5, 1.0]))
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
