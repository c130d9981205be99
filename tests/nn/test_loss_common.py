"""What all five losses share: dtypes and Rust storage, target types, gradients that
reach (or not) the targets, reduction and input errors, and the loss modules.

The loop references themselves are checked here against hand-computed values; each
loss family's values and gradients are in test_loss_cross_entropy_nll.py and
test_loss_mse_bce.py.
"""

import math

import numpy as np
import pytest
from _loss_refs import T4, W3, ref_cross_entropy

import lucid
import lucid.nn.functional as F
from lucid import Tensor, _storage, nn

RNG = np.random.default_rng(0)


# ---- the references -----------------------------------------------------------------------


def test_references_agree_with_hand_computed_values():
    # log(e^2 + e^0.5 + e^0.1) - 2 and log(1 + e^1.5 + e^0.2) - 1.5
    x, t = np.array([[2.0, 0.5, 0.1], [0.0, 1.5, 0.2]]), np.array([0, 1])
    first = math.log(math.exp(2) + math.exp(0.5) + math.exp(0.1)) - 2
    second = math.log(1 + math.exp(1.5) + math.exp(0.2)) - 1.5
    assert float(ref_cross_entropy(x, t)) == pytest.approx((first + second) / 2, rel=1e-12)
    out = F.cross_entropy(Tensor(x), Tensor(t), eps=0)
    assert out.item() == pytest.approx((first + second) / 2, rel=1e-12)
    bce = F.binary_cross_entropy(Tensor(np.array([0.9, 0.2])), Tensor(np.array([1.0, 0.0])), eps=0)
    assert bce.item() == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-12)


# ---- dtypes, storage and targets ---------------------------------------------------------


CASES = [
    (lambda x: F.mse_loss(x, Tensor(np.zeros((4, 3), x.dtype)))),
    (lambda x: F.cross_entropy(x, Tensor(T4))),
    (lambda x: F.nll_loss(x, Tensor(T4), weight=Tensor(W3.astype(x.dtype)))),
    (lambda x: F.binary_cross_entropy(x * 0.5 + 0.25, Tensor(np.ones((4, 3), x.dtype)))),
    (lambda x: F.binary_cross_entropy_with_logits(
        x, np.ones((4, 3), x.dtype), pos_weight=W3.astype(x.dtype)
    )),
]  # fmt: skip


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_keep_the_input_dtype_in_rust_storage(fn, dtype):
    x = Tensor(RNG.uniform(0, 1, (4, 3)).astype(dtype), requires_grad=True)
    loss = fn(x)
    assert loss.dtype == dtype and loss.shape == ()
    assert _storage.is_storage_view(loss.data)
    loss.backward()
    assert x.grad.dtype == dtype and x.grad.shape == (4, 3) and np.all(np.isfinite(x.grad))


@pytest.mark.parametrize(
    "fn",
    [lambda x, t: F.mse_loss(x, t), lambda x, t: F.huber_loss(x, t),
     lambda x, t: F.binary_cross_entropy(x, t),
     lambda x, t: F.binary_cross_entropy_with_logits(x, t),
     lambda x, t: F.cross_entropy(x, Tensor(T4), weight=Tensor(W3)),
     lambda x, t: F.nll_loss(x, Tensor(T4), weight=W3)],
)  # fmt: skip
def test_a_float64_target_or_weight_promotes_a_float32_input_as_numpy_and_lucid_2(fn):
    x = Tensor(RNG.uniform(0, 1, (4, 3)).astype(np.float32), requires_grad=True)
    t = Tensor(RNG.uniform(0, 1, (4, 3)))  # float64
    loss = fn(x, t)
    assert loss.dtype == np.float64  # numpy's result_type(float32, float64)
    reference = fn(Tensor(x.data.astype(np.float64)), t)
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)  # computed in float64
    loss.backward()
    assert x.grad.dtype == np.float32  # the gradient comes back in x's own dtype


def test_mse_target_gets_the_negated_gradient_and_class_targets_none():
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    y = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    F.mse_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, 2 * (x.data - y.data), rtol=1e-12)
    np.testing.assert_allclose(y.grad, -x.grad, rtol=1e-12)
    t = Tensor(np.array([0, 1]))
    F.cross_entropy(x, t).backward()
    assert t.grad is None and not t.requires_grad


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
@pytest.mark.parametrize("bad", ["avg", "elementwise_mean", 1])  # None is lucid's "none"
def test_unknown_reduction_is_a_value_error_naming_it(name, bad):
    with pytest.raises(ValueError, match=f"reduction.*{bad!r}"):
        ALL[name](reduction=bad)


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss])
def test_modules_check_reduction_when_built(cls):
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        cls(reduction="avg")


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


def test_module_reprs_are_lucid_2s_and_name_pytorchs_options_only_when_set():
    assert repr(nn.MSELoss()) == "MSELoss(reduction=mean)"
    assert repr(nn.NLLLoss(reduction="sum")) == "NLLLoss(reduction=sum)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction=mean)"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=3)) == (
        "CrossEntropyLoss(reduction=mean, ignore_index=3, label_smoothing=0.1)"
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
