"""Sequential's fusion of Linear → SELU → AlphaDropout into one node.

The node (selu_dropout.LinearSeluAlphaDropout) must give bit for bit what the three
modules called one by one give: the output, the gradients of the input, the weight and
the bias (for a full upstream gradient and for the seed of ``backward()``), the mask
and the generator's state after, at every SIMD level and for 1 and 2 threads. Where
the rule does not hold (hooks, other classes, dtypes or shapes that need a cast or a
reshape, eval mode, p = 0), Sequential runs as before, with the same results. Inside
``lucid.random.global_rows`` the node fuses too, with the modules' bits there.
"""

import numpy as np
import pytest
from test_selu_dropout import HOOKS, at_every_level_and_thread_count, same

import lucid
from lucid import Tensor, nn
from lucid.nn.functional.selu_dropout import LinearSeluAlphaDropout, SeluAlphaDropout

IN, OUT, BATCH = 64, 256, 300  # 76,800 outputs: several chunks over the pool


def block(dtype, p=0.2, seed=5, bias=True):
    lucid.random.default_generator.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(IN, OUT, bias=bias, dtype=dtype),
        nn.SELU(),
        nn.AlphaDropout(p, generator=lucid.random.Generator(seed)),
    )


def data(dtype, seed=0, batch=BATCH):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, IN)).astype(dtype)
    dy = rng.standard_normal((batch, OUT)).astype(dtype)
    return x, dy


def results(model, x, dy, call):
    """``call(model, input)`` forward, then backward (dy, or the seed of ``backward()``
    when None): everything the fusion must leave as the modules would."""
    for param in model.parameters():
        param.grad = None
    inp = Tensor(x, requires_grad=True)
    y = call(model, inp)
    (y.sum() if dy is None else y).backward(None if dy is None else dy)
    linear, dropout = model[0], model[2]
    grads = [inp.grad, linear.weight.grad] + ([linear.bias.grad] if linear.bias is not None else [])
    return y, grads, dropout.mask, dropout.generator.get_state()


def whole(model, inp):
    return model(inp)


def one_by_one(model, inp):
    return model[2](model[1](model[0](inp)))


def assert_same(got, ref):
    same(got[0].data, ref[0].data)
    assert len(got[1]) == len(ref[1])
    for a, b in zip(got[1], ref[1], strict=True):
        same(a, b)
    same(got[2].data, ref[2].data)
    assert got[2].shape == ref[2].shape and got[2].dtype == ref[2].dtype
    assert got[3] == ref[3]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_selu_alpha_dropout_is_one_node_with_the_modules_bits(dtype):
    x, dy = data(dtype)

    def check():
        cases = ((0.2, True, dy), (0.2, False, None), (1.0, True, dy), (0.7, True, None))
        for p, bias, grad in cases:
            got = results(block(dtype, p, bias=bias), x, grad, whole)
            ref = results(block(dtype, p, bias=bias), x, grad, one_by_one)
            assert type(got[0]._ctx) is LinearSeluAlphaDropout
            assert_same(got, ref)

    at_every_level_and_thread_count(check)


def test_repeated_steps_draw_the_same_masks_as_the_modules():
    """The generator moves on as it would: three forwards in a row match three unfused."""
    x, dy = data(np.float32, batch=50)
    fused, plain = block(np.float32, 0.3), block(np.float32, 0.3)
    for _ in range(3):
        assert_same(results(fused, x, dy, whole), results(plain, x, dy, one_by_one))


@pytest.mark.parametrize("rows", [range(1, 2 * BATCH, 2), range(BATCH, 2 * BATCH)])
def test_inside_global_rows_the_node_has_the_modules_bits(rows):
    """Rows dealt as DistributedSampler deals them, or a block: the node keeps its rows'
    part of the whole batch's mask, as the three modules do."""
    x, dy = data(np.float32)

    def in_rows(call):
        def run(model, inp):
            with lucid.random.global_rows(rows, 2 * BATCH):
                return call(model, inp)

        return run

    def check():
        for p, grad in ((0.2, dy), (1.0, None)):
            got = results(block(np.float32, p), x, grad, in_rows(whole))
            ref = results(block(np.float32, p), x, grad, in_rows(one_by_one))
            assert type(got[0]._ctx) is LinearSeluAlphaDropout
            assert_same(got, ref)

    at_every_level_and_thread_count(check)


def test_only_the_gradients_asked_for_are_made():
    x, dy = data(np.float64, batch=40)
    model, ref = block(np.float64), block(np.float64)
    for m in (model, ref):
        m[0].weight.requires_grad = False
    y = model(Tensor(x))  # the input needs no gradient either: only the bias does
    y.backward(dy)
    z = one_by_one(ref, Tensor(x))
    z.backward(dy)
    assert type(y._ctx) is LinearSeluAlphaDropout
    assert model[0].weight.grad is None
    same(model[0].bias.grad, ref[0].bias.grad)


def test_an_in_place_change_of_the_weight_before_backward_is_caught():
    x, dy = data(np.float32, batch=20)
    model = block(np.float32)
    y = model(Tensor(x, requires_grad=True))
    assert type(y._ctx) is LinearSeluAlphaDropout
    with lucid.no_grad():
        model[0].weight += 0.25
    with pytest.raises(RuntimeError, match="input 1 of LinearSeluAlphaDropout .* version 2"):
        y.backward(dy)


def test_eval_mode_and_p_zero_run_as_before():
    x, _ = data(np.float32, batch=10)
    model = block(np.float32, 0.0)
    y = model(Tensor(x, requires_grad=True))
    assert type(y._ctx) is not LinearSeluAlphaDropout
    model = block(np.float32, 0.4)
    model.eval()
    y = model(Tensor(x, requires_grad=True))
    assert type(y._ctx) is not LinearSeluAlphaDropout
    same(y.data, one_by_one(model, Tensor(x)).data)


@pytest.mark.parametrize("which", [0, 1, 2])
@pytest.mark.parametrize(("register", "hook"), HOOKS)
def test_a_hook_on_any_of_the_three_runs_them_as_before(which, register, hook):
    x, dy = data(np.float32, batch=30)
    model = block(np.float32)
    handle = getattr(model[which], register)(hook)
    got = results(model, x, dy, whole)
    assert type(got[0]._ctx) is not LinearSeluAlphaDropout
    assert_same(got, results(block(np.float32), x, dy, whole))
    handle.remove()
    assert type(model(Tensor(x))._ctx) is LinearSeluAlphaDropout  # fused again


def test_what_does_not_fuse_with_the_linear_gives_the_same_results():
    x, dy = data(np.float32, batch=12)
    cases = {
        "a float64 input to float32 weights": (block(np.float32), x.astype(np.float64)),
        "a 3-D input": (block(np.float32), np.stack([x, x])),
        "a Linear subclass": (block(np.float32), x),
        "FeatureAlphaDropout": (block(np.float32), x),
    }
    model = cases["a Linear subclass"][0]
    model[0].__class__ = type("MyLinear", (nn.Linear,), {})
    model = cases["FeatureAlphaDropout"][0]
    model[2] = nn.FeatureAlphaDropout(0.2, generator=lucid.random.Generator(5))
    for name, (model, inp) in cases.items():
        y = model(Tensor(inp))
        assert type(y._ctx) is not LinearSeluAlphaDropout, name
        assert type(y._ctx) in (SeluAlphaDropout,) or name == "a 3-D input", name


def test_a_bad_input_gives_the_linear_error():
    model = block(np.float32)
    state = model[2].generator.get_state()
    with pytest.raises(ValueError, match="linear: input_'s last dimension must equal"):
        model(Tensor(np.ones((4, IN + 1), dtype=np.float32)))
    assert model[2].mask is None and model[2].generator.get_state() == state
