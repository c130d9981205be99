"""lucid.nn.utils: gradient norms against numpy's norms, and clipping by its laws — the
total norm after clipping is min(total, max_norm) up to eps, the direction is kept, and
values are clamped exactly."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn.utils as U
from lucid import nn


def params_with_grads(seed=0, dtype=np.float64, scale=1.0, none=True):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), (2, 2, 2), (1,)]
    ps = [nn.Parameter(np.zeros(s, dtype)) for s in shapes]
    for p in ps:
        p.grad = (rng.standard_normal(p.shape) * scale).astype(dtype)
    if none:
        ps.append(nn.Parameter(np.zeros(4, dtype)))  # no gradient: skipped
    return ps


def flat(ps):
    return np.concatenate([p.grad.ravel() for p in ps if p.grad is not None]).astype(np.float64)


@pytest.mark.parametrize("p", [2, 1, math.inf, 3, 0.5, -math.inf])
def test_total_norm_is_the_norm_of_all_gradients_as_one_vector(p):
    ps = params_with_grads()
    want = np.linalg.norm(flat(ps), ord=p)
    for fn in (U.get_total_norm, U.grad_norm):
        got = fn(ps, p)
        assert isinstance(got, lucid.Tensor) and got.shape == ()
        assert got.item() == pytest.approx(want, rel=1e-13)
    arrays = U.get_total_norm([q.grad for q in ps if q.grad is not None], p)  # PyTorch's form
    assert arrays.item() == pytest.approx(want, rel=1e-13)


def test_norms_neither_overflow_nor_underflow():
    for scale in (1e200, 1e-200):
        ps = params_with_grads(scale=scale)
        want = scale * np.linalg.norm(flat(ps) / scale)
        assert U.get_total_norm(ps).item() == pytest.approx(want, rel=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [2, 1, math.inf, 3])
@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e6])
def test_clip_grad_norm_laws(dtype, p, max_norm):
    ps = params_with_grads(dtype=dtype)
    before = flat(ps)
    with_grads = [q for q in ps if q.grad is not None]
    views = [q.grad for q in with_grads]
    total = U.clip_grad_norm(ps, max_norm, p)
    assert total.dtype == dtype
    t = np.linalg.norm(before, ord=p)
    assert total.item() == pytest.approx(t, rel=1e-6 if dtype == np.float32 else 1e-13)
    after = flat(ps)
    coef = min(1.0, max_norm / (t + 1e-7))
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    assert np.linalg.norm(after, ord=p) == pytest.approx(t * coef, rel=rtol)
    np.testing.assert_allclose(after, before * coef, rtol=rtol, atol=0)  # same direction
    if coef == 1.0:
        np.testing.assert_array_equal(after, before)  # nothing to clip: untouched
    assert all(q.grad is v for q, v in zip(with_grads, views, strict=True))
    assert all(q.grad.dtype == dtype for q in ps if q.grad is not None)


def test_clip_grad_norm_underscore_is_the_same_and_a_single_tensor_works():
    assert U.clip_grad_norm_ is U.clip_grad_norm and U.clip_grad_value_ is U.clip_grad_value
    w = nn.Parameter(np.zeros(2))
    w.grad = np.array([3.0, 4.0])
    assert U.clip_grad_norm_(w, 1.0, eps=0.0).item() == 5.0
    np.testing.assert_allclose(w.grad, [0.6, 0.8], rtol=1e-15)
    assert lucid.nn.utils is U


def test_no_gradients_give_zero_and_read_only_gradients_are_replaced():
    empty = [nn.Parameter(np.zeros(3))]
    assert U.clip_grad_norm(empty, 1.0).item() == 0.0 and U.get_total_norm([]).item() == 0.0
    w = nn.Parameter(np.zeros(2))
    w.grad = np.array([30.0, 40.0])
    w.grad.flags.writeable = False
    U.clip_grad_norm(w, 5.0, eps=0.0)
    np.testing.assert_allclose(w.grad, [3.0, 4.0], rtol=1e-15)
    w.grad.flags.writeable = False
    U.clip_grad_value(w, 3.5)
    np.testing.assert_array_equal(w.grad, [3.0, 3.5])


def test_a_gradient_shared_by_two_parameters_is_scaled_once():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad = b.grad = np.array([3.0, 4.0])
    U.clip_grad_norm([a, b], 1.0, eps=0.0)  # total 5·√2
    np.testing.assert_allclose(a.grad, np.array([3.0, 4.0]) / (5 * math.sqrt(2)), rtol=1e-15)


def test_nonfinite_total_raises_on_request_and_else_spreads_nan():
    ps = params_with_grads(none=False)
    ps[1].grad[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        U.clip_grad_norm(ps, 1.0, error_if_nonfinite=True)
    total = U.clip_grad_norm(ps, 1.0)
    assert math.isnan(total.item()) and np.isnan(flat(ps)).all()
    ps = params_with_grads(none=False)
    ps[0].grad[0, 0] = np.inf
    with pytest.raises(RuntimeError):
        U.get_total_norm(ps, error_if_nonfinite=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_clamps_exactly_in_place(dtype):
    ps = params_with_grads(dtype=dtype)
    before = [q.grad.copy() for q in ps if q.grad is not None]
    assert U.clip_grad_value(ps, 0.7) is None
    for q, b in zip(ps[:-1], before, strict=True):
        np.testing.assert_array_equal(q.grad, np.clip(b, dtype(-0.7), dtype(0.7)))
        assert q.grad.dtype == dtype
    assert ps[-1].grad is None


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ps: U.clip_grad_norm(ps, -1.0), ValueError, "max_norm=-1.0"),
        (lambda ps: U.clip_grad_norm(ps, math.nan), ValueError, "max_norm=nan"),
        (lambda ps: U.clip_grad_norm(ps, "1"), TypeError, "max_norm"),
        (lambda ps: U.clip_grad_norm(ps, 1.0, 0), ValueError, "norm_type=0"),
        (lambda ps: U.clip_grad_norm(ps, 1.0, -2), ValueError, "norm_type=-2"),
        (lambda ps: U.clip_grad_norm(ps, 1.0, "two"), ValueError, "norm_type"),
        (lambda ps: U.clip_grad_norm(ps, 1.0, None), TypeError, "norm_type"),
        (lambda ps: U.clip_grad_norm(ps, 1.0, eps=-1.0), ValueError, "eps=-1.0"),
        (lambda ps: U.clip_grad_value(ps, -0.1), ValueError, "clip_value=-0.1"),
        (lambda ps: U.clip_grad_value(ps, None), TypeError, "clip_value"),
        (lambda ps: U.clip_grad_norm(3.0, 1.0), TypeError, "parameters"),
        (lambda ps: U.clip_grad_norm([*ps, "w"], 1.0), TypeError, "parameters"),
        (lambda ps: U.clip_grad_value([ps[0].grad], 1.0), TypeError, "parameters"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call(params_with_grads())


def test_norm_type_inf_as_a_string_as_pytorch():
    ps = params_with_grads()
    assert U.get_total_norm(ps, "inf").item() == np.abs(flat(ps)).max()
