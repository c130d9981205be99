"""selu_alpha_dropout and Sequential's fusion of SELU then AlphaDropout.

The fused op is bit for bit ``alpha_dropout(selu(x))`` from the same generator state:
outputs, gradients (a full upstream gradient and the broadcast seed of ``backward()``),
masks and the generator's state after, at every SIMD level and for 1 and 2 threads.
Sequential runs the pair as one node exactly when its rule says so; otherwise module
by module, with the same results.
"""

import numpy as np
import pytest

import lucid
import lucid._C as _C
import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid.nn.functional.activation import SELU as SeluNode
from lucid.nn.functional.selu_dropout import (
    LinearSeluAlphaDropout,
    SeluAlphaDropout,
    SeluRowAlphaDropout,
)

LEVELS = ["scalar", "avx2", "avx512"]
SHAPE = (3, 70_001)  # more than 65,536 elements: several chunks over the pool


def at_every_level_and_thread_count(check):
    """Run ``check()`` at each SIMD level the CPU supports, with 1 and 2 threads."""
    before, threads = _C.get_simd(), lucid.get_num_threads()
    try:
        for level in LEVELS:
            try:
                _C.set_simd(level)
            except ValueError:  # above what this CPU supports
                break
            for n in (1, 2):
                lucid.set_num_threads(n)
                check()
    finally:
        _C.set_simd(*before)
        lucid.set_num_threads(threads)


def inputs(dtype, seed=0, shape=SHAPE):
    z = 3 * np.random.default_rng(seed).standard_normal(shape)
    z.flat[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, -800.0]
    return z.astype(dtype)


def raw(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def same(a, b):
    np.testing.assert_array_equal(raw(a), raw(b))


def through(fn, z, dy, seed):
    """fn(x, generator) forward, then backward with dy (None: the seed of backward()),
    as (y, x.grad, the generator's state after)."""
    g = lucid.random.Generator(seed)
    x = Tensor(z, requires_grad=True)
    y = fn(x, g)
    if dy is None:
        y.sum().backward()
    else:
        y.backward(dy)
    return y.data, x.grad, g.get_state()


def fused(x, g, p):
    return F.selu_alpha_dropout(x, p, generator=g)


def unfused(x, g, p):
    return F.alpha_dropout(F.selu(x), p, generator=g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fused_op_is_selu_then_alpha_dropout_bit_for_bit(dtype):
    z = inputs(dtype)
    dy = np.random.default_rng(1).standard_normal(SHAPE).astype(dtype)

    def check():
        for p in (0.1, 0.5, 1.0):
            for grad in (dy, None):
                a = through(lambda x, g, p=p: fused(x, g, p), z, grad, 7)
                b = through(lambda x, g, p=p: unfused(x, g, p), z, grad, 7)
                same(a[0], b[0])
                same(a[1], b[1])
                assert a[2] == b[2]

    at_every_level_and_thread_count(check)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eval_mode_and_p_zero_are_plain_selu(dtype):
    z = inputs(dtype, shape=(50, 7))
    g = lucid.random.Generator(3)
    state = g.get_state()
    for kwargs in ({"training": False}, {"p": 0.0}, {"p": 0.0, "training": False}):
        x = Tensor(z, requires_grad=True)
        y = F.selu_alpha_dropout(x, generator=g, **kwargs)
        y.sum().backward()
        x2 = Tensor(z, requires_grad=True)
        y2 = F.selu(x2)
        y2.sum().backward()
        same(y.data, y2.data)
        same(x.grad, x2.grad)
    assert g.get_state() == state  # nothing drawn


def test_p_one_gives_zeros_and_a_zero_gradient_where_selu_has_a_slope():
    z = inputs(np.float32, shape=(40, 5))
    x = Tensor(z, requires_grad=True)
    y = F.selu_alpha_dropout(x, 1.0)
    y.backward(np.ones_like(z))
    assert np.all(raw(y.data) == 0)
    np.testing.assert_array_equal(np.isnan(x.grad), np.isnan(z))  # 0·selu'(NaN) is NaN
    assert np.all(x.grad[~np.isnan(z)] == 0)


def test_the_default_generator_is_used_when_none_is_given():
    z = inputs(np.float64, shape=(100,))
    lucid.random.default_generator.manual_seed(5)
    a = F.selu_alpha_dropout(Tensor(z), 0.3).data
    lucid.random.default_generator.manual_seed(5)
    b = F.alpha_dropout(F.selu(Tensor(z)), 0.3).data
    same(a, b)


def test_bad_arguments_are_errors_naming_them_and_draw_nothing():
    g = lucid.random.Generator(0)
    state = g.get_state()
    x = Tensor(np.ones(4, dtype=np.float32))
    with pytest.raises(TypeError, match="input_"):
        F.selu_alpha_dropout(np.ones(4), generator=g)
    with pytest.raises(TypeError, match="input_.*dtype int64"):
        F.selu_alpha_dropout(Tensor(np.ones(4, dtype=np.int64)), generator=g)
    for p in (-0.1, 1.5, float("nan")):
        for training in (True, False):
            with pytest.raises(ValueError, match="p"):
                F.selu_alpha_dropout(x, p, training, generator=g)
    with pytest.raises(TypeError, match="p"):
        F.selu_alpha_dropout(x, "0.5", generator=g)
    with pytest.raises(TypeError, match="generator"):
        F.selu_alpha_dropout(x, generator=object())
    assert g.get_state() == state


def test_the_kernels_refuse_mismatched_arrays():
    z = np.ones(10, dtype=np.float32)
    _, mask = _C.selu_alpha_dropout_forward(z, 0.5, _C.Generator(0))
    with pytest.raises(ValueError, match="z must have as many elements as the mask"):
        _C.selu_alpha_dropout_backward(z[:9], z, mask)
    with pytest.raises(ValueError, match="dy"):
        _C.selu_alpha_dropout_backward(z, z[:9], mask)
    with pytest.raises(TypeError, match="dy must be a float32 array like z, got float64"):
        _C.selu_alpha_dropout_backward(z, z.astype(np.float64), mask)
    with pytest.raises(TypeError, match="z must be a float32 or float64 array"):
        _C.selu_alpha_dropout_forward(z.astype(np.int32), 0.5, _C.Generator(0))


# ---- Sequential ---------------------------------------------------------------------


def pair(p=0.2, seed=11, selu=None, drop=nn.AlphaDropout):
    return nn.Sequential(selu or nn.SELU(), drop(p, generator=lucid.random.Generator(seed)))


def forward_backward(model, z, dy):
    x = Tensor(z, requires_grad=True)
    y = model(x)
    y.backward(dy)
    return y, x.grad, model[1].mask, model[1].generator.get_state()


def separately(model, z, dy):
    """The pair's modules called one by one: the unfused reference."""
    x = Tensor(z, requires_grad=True)
    y = model[1](model[0](x))
    y.backward(dy)
    return y, x.grad, model[1].mask, model[1].generator.get_state()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_runs_selu_then_alpha_dropout_as_one_node_with_the_same_bits(dtype):
    z = inputs(dtype)
    dy = np.random.default_rng(2).standard_normal(SHAPE).astype(dtype)

    def check():
        for p in (0.0, 0.3, 1.0):
            y, grad, mask, state = forward_backward(pair(p), z, dy)
            ref = separately(pair(p), z, dy)
            assert type(y._ctx) is (SeluAlphaDropout if p > 0 else SeluNode)
            same(y.data, ref[0].data)
            same(grad, ref[1])
            same(mask.data, ref[2].data)
            assert mask.shape == ref[2].shape and mask.dtype == ref[2].dtype
            assert state == ref[3]

    at_every_level_and_thread_count(check)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_fuses_selu_then_feature_alpha_dropout_with_the_same_bits(dtype):
    def check():
        # (N, C, L) and (N, C, H, W): one bit per row; (N, C): one per element.
        for shape, node in (
            ((5, 7, 3001), SeluRowAlphaDropout),
            ((2, 3, 4, 5), SeluRowAlphaDropout),
            ((40, 2000), SeluAlphaDropout),
        ):
            z = inputs(dtype, shape=shape)
            dy = np.random.default_rng(4).standard_normal(shape).astype(dtype)
            for p in (0.0, 0.4, 1.0):
                for grad in (dy, None):
                    model = pair(p, drop=nn.FeatureAlphaDropout)
                    y, g, mask, state = (forward_backward if grad is not None else summed)(
                        model, z, grad
                    )
                    ref = (separately if grad is not None else separately_summed)(
                        pair(p, drop=nn.FeatureAlphaDropout), z, grad
                    )
                    assert type(y._ctx) is (node if p > 0 else SeluNode)
                    same(y.data, ref[0].data)
                    same(g, ref[1])
                    same(mask.data, ref[2].data)
                    assert mask.shape == ref[2].shape and state == ref[3]

    at_every_level_and_thread_count(check)


def summed(model, z, _):
    x = Tensor(z, requires_grad=True)
    y = model(x)
    y.sum().backward()
    return y, x.grad, model[1].mask, model[1].generator.get_state()


def separately_summed(model, z, _):
    x = Tensor(z, requires_grad=True)
    y = model[1](model[0](x))
    y.sum().backward()
    return y, x.grad, model[1].mask, model[1].generator.get_state()


def test_feature_alpha_dropout_of_a_bad_rank_is_the_unfused_error():
    model = pair(drop=nn.FeatureAlphaDropout)
    state = model[1].generator.get_state()
    with pytest.raises(ValueError, match="FeatureAlphaDropout: expected an \\(N, C, ...\\)"):
        model(Tensor(np.ones(5, dtype=np.float32)))
    assert model[1].mask is None and model[1].generator.get_state() == state


def test_sequential_in_eval_mode_is_selu_and_keeps_the_last_mask():
    z = inputs(np.float32, shape=(20, 30))
    model = pair(0.4)
    model(Tensor(z))
    mask = model[1].mask.data.copy()
    model.eval()
    y = model(Tensor(z))
    same(y.data, F.selu(Tensor(z)).data)
    same(model[1].mask.data, mask)


def test_a_longer_sequential_fuses_each_pair():
    z = inputs(np.float64, shape=(8, 300))
    model = nn.Sequential(nn.Linear(300, 300), nn.SELU(), nn.AlphaDropout(0.1), nn.SELU())
    lucid.random.default_generator.manual_seed(1)
    a = model(Tensor(z))
    lucid.random.default_generator.manual_seed(1)
    b = model[3](model[2](model[1](model[0](Tensor(z)))))
    same(a.data, b.data)
    assert type(a._ctx) is SeluNode and type(a._ctx.parents[0]) is LinearSeluAlphaDropout
    model = nn.Sequential(nn.SELU(), nn.AlphaDropout(0.1), nn.SELU(), nn.AlphaDropout(0.1))
    a = model(Tensor(z, requires_grad=True))
    assert type(a._ctx) is SeluAlphaDropout and type(a._ctx.parents[0]) is SeluAlphaDropout


def _forward_hook(module, args, output):
    return None


def _pre_hook(module, args):
    return None


def _backward_hook(output, grad):
    return None


def _full_backward_hook(module, grad_input, grad_output):
    return None


HOOKS = [
    ("register_forward_hook", _forward_hook),
    ("register_forward_pre_hook", _pre_hook),
    ("register_backward_hook", _backward_hook),
    ("register_full_backward_hook", _full_backward_hook),
]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize(("register", "hook"), HOOKS)
def test_a_hook_on_either_module_runs_the_pair_unfused(which, register, hook):
    z = inputs(np.float32, shape=(30, 40))
    dy = np.ones_like(z)
    model = pair()
    handle = getattr(model[which], register)(hook)
    y, grad, mask, state = forward_backward(model, z, dy)
    assert type(y._ctx) is not SeluAlphaDropout
    ref = forward_backward(pair(), z, dy)  # fused
    assert type(ref[0]._ctx) is SeluAlphaDropout
    same(y.data, ref[0].data)
    same(grad, ref[1])
    same(mask.data, ref[2].data)
    handle.remove()
    assert type(model(Tensor(z, requires_grad=True))._ctx) is SeluAlphaDropout  # fused again


def test_what_sequential_does_not_fuse():
    z = inputs(np.float32, shape=(6, 4, 50))
    for model in (
        pair(selu=nn.SELU(inplace=True)),
        nn.Sequential(nn.AlphaDropout(0.2), nn.SELU()),
        nn.Sequential(type("MySELU", (nn.SELU,), {})(), nn.AlphaDropout(0.2)),
    ):
        y = model(Tensor(z, requires_grad=model[0].__dict__.get("inplace") is not True))
        assert type(y._ctx) is not SeluAlphaDropout, model


def test_sequential_gives_the_unfused_errors():
    model = pair()
    with pytest.raises(TypeError, match="selu: input_ must be a float32 or float64"):
        model(Tensor(np.ones(3, dtype=np.int64)))
    with pytest.raises(TypeError, match="selu: input_ must be a lucid Tensor"):
        model(np.ones(3))
    assert model[1].mask is None
