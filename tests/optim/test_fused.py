"""The fused steps of SGD, Adam and AdamW (one core call per group and dtype) give the
same bits, state and version counts as the per-parameter numpy path, for any thread
count; what they cannot take falls back to that path; the core calls refuse bad
arguments by name."""

import re

import numpy as np
import pytest

import lucid
from lucid import _C, _storage, nn, optim

# Shapes: a matrix, a vector longer than one task (16384) and than the serial limit,
# a 0-d parameter and an empty one.
SHAPES = [(3, 4), (40_000,), (5,), (), (0, 3)]
STEPS = 5

SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
    {"lr": 1, "momentum": 1, "dampening": -1},  # ints and a negative dampening
]
ADAM_CONFIGS = [
    {},
    {"lr": 0.01, "betas": (0.5, 0.8)},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.02, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.05, "amsgrad": True},
    {"lr": 0.01, "betas": (0, 0), "eps": 0},
]
CASES = (
    [(optim.SGD, c) for c in SGD_CONFIGS]
    + [(optim.Adam, c) for c in ADAM_CONFIGS]
    + [(optim.AdamW, c) for c in ADAM_CONFIGS]
)


def ids(case):
    cls, config = case
    return cls.__name__ + ":" + (",".join(f"{k}={v}" for k, v in config.items()) or "defaults")


def bits(x):
    return np.ascontiguousarray(x).reshape(-1).view(np.uint8)


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(bits(a), bits(b))


def run(cls, config, fused, dtype=np.float32, shapes=SHAPES, steps=STEPS, grad=None):
    """Parameters stepped ``steps`` times; parameter 0 has no gradient at step 2.
    ``grad(i, values)`` may give parameter i's gradient instead of the array."""
    rng = np.random.default_rng(0)
    params = [nn.Parameter(rng.standard_normal(s), dtype=dtype) for s in shapes]
    opt = cls(params, **config)
    opt._foreach = fused
    draws = np.random.default_rng(1)
    for t in range(steps):
        for i, p in enumerate(params):
            values = draws.standard_normal(p.shape) * 0.5**t
            if t == 2 and i == 0:
                p.grad = None
            else:
                g = _storage.copy_of(values, dtype)
                p.grad = g if grad is None else grad(i, g)
        opt.step()
    return params, opt


def assert_same_runs(a, b):
    (pa, oa), (pb, ob) = a, b
    for x, y in zip(pa, pb, strict=True):
        assert same(x.data, y.data)
        assert x._version_counter.value == y._version_counter.value
    sa, sb = oa.state_dict()["state"], ob.state_dict()["state"]
    assert list(sa) == list(sb)
    for i in sa:
        assert list(sa[i]) == list(sb[i])
        for key, value in sa[i].items():
            other = sb[i][key]
            if key == "step":
                assert type(value) is int and value == other
            else:
                assert same(value.data, other.data), (i, key)
                assert value._version_counter.value == other._version_counter.value


@pytest.fixture
def calls(monkeypatch):
    """Counts the fused calls (the core's functions, wrapped)."""
    counted = {"sgd_step": 0, "adam_step": 0}
    for name in counted:
        real = getattr(_C, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(_C, name, wrapper)
    return counted


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_fused_steps_give_the_per_parameter_bits(case, dtype, calls):
    cls, config = case
    fused = run(cls, config, True, dtype)
    assert sum(calls.values()) == STEPS  # one call per group per step
    assert_same_runs(fused, run(cls, config, False, dtype))
    assert sum(calls.values()) == STEPS


@pytest.mark.parametrize("case", CASES[2:4] + CASES[9:11], ids=ids)
def test_results_do_not_depend_on_the_thread_count(case):
    cls, config = case
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(1)
        one = run(cls, config, True)
        _C.set_num_threads(3)
        three = run(cls, config, True)
    finally:
        _C.set_num_threads(before)
    assert_same_runs(one, three)


@pytest.mark.parametrize("case", [CASES[3], CASES[10]], ids=ids)
def test_mixed_groups_dtypes_and_layouts_fall_back_per_parameter(case, calls):
    """Two groups, float32 and float64 parameters in one group (one call per dtype), and
    non-contiguous gradients, which take the per-parameter path; still the same bits."""
    cls, config = case

    def build(fused):
        rng = np.random.default_rng(0)
        make = [(s, d) for s in SHAPES[:3] for d in (np.float32, np.float64)]
        params = [nn.Parameter(rng.standard_normal(s), dtype=d) for s, d in make]
        opt = cls([{"params": params[:4]}, {"params": params[4:], "lr": 0.003}], **config)
        opt._foreach = fused
        draws = np.random.default_rng(1)
        for _ in range(3):
            for i, p in enumerate(params):
                g = np.asarray(draws.standard_normal(p.shape[::-1]), p.dtype).T
                p.grad = g if i % 3 == 0 else np.ascontiguousarray(g)
            opt.step()
        return params, opt

    fused = build(True)
    assert sum(calls.values()) == 3 * 4  # two groups, each with both dtypes
    assert_same_runs(fused, build(False))


@pytest.mark.parametrize("case", [CASES[3], CASES[10]], ids=ids)
def test_numpy_float_hyperparameters_take_the_per_parameter_path(case, calls):
    """A numpy float32 lr rounds differently in numpy's arithmetic: not fused."""
    cls, config = case
    config = {**config, "lr": np.float32(0.01)}
    fused = run(cls, config, True)
    assert sum(calls.values()) == 0
    assert_same_runs(fused, run(cls, config, False))


@pytest.mark.parametrize("case", [CASES[3], CASES[4], CASES[10], CASES[16]], ids=ids)
def test_gradients_sharing_memory_with_parameters_fall_back(case, calls):
    """Each gradient is the other parameter's data: the core declines (an element
    written would be read elsewhere), and the step is the per-parameter one."""
    cls, config = case

    def pair():
        return [nn.Parameter(np.arange(6.0) / 7, dtype=np.float32) for _ in range(2)]

    (p, q), (p2, q2) = pair(), pair()
    opt, ref = cls([p, q], **config), cls([p2, q2], **config)
    ref._foreach = False
    for _ in range(3):
        p.grad, q.grad = q.data, p.data
        p2.grad, q2.grad = q2.data, p2.data
        calls["sgd_step"] = calls["adam_step"] = 0
        opt.step()
        assert sum(calls.values()) == 1  # tried once, declined
        ref.step()
        assert same(p.data, p2.data) and same(q.data, q2.data)
    assert_same_runs(([p, q], opt), ([p2, q2], ref))


def sgd_args(n=2, dtype=np.float32, shape=(4,)):
    arrays = [[np.ones(shape, dtype) for _ in range(n)] for _ in range(3)]
    hyper = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    return arrays, [False] * n, hyper


def adam_args(n=2, dtype=np.float32, shape=(4,)):
    arrays = [[np.ones(shape, dtype) for _ in range(n)] for _ in range(5)]
    hyper = {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": True,
        "decoupled": False,
    }
    return arrays, [1] * n, hyper


def test_the_core_calls_update_in_place_and_return_true():
    (ps, gs, bs), fresh, hyper = sgd_args()
    assert _C.sgd_step(ps, gs, bs, fresh, **hyper) is True
    buffer = np.float32(0.9) + np.float32(1)  # b·μ + g, not fresh
    assert np.all(bs[0] == buffer)
    assert np.all(ps[0] == np.float32(1) - buffer * np.float32(0.1))
    (ps, gs, ms, vs, xs), steps, hyper = adam_args()
    assert _C.adam_step(ps, gs, ms, vs, xs, steps, **hyper) is True
    assert np.all(xs[0] == vs[0])
    assert _C.sgd_step([], [], None, None, **{**hyper_sgd(), "momentum": 0.0}) is True


def hyper_sgd():
    return sgd_args()[2]


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda a: a[1].pop(), ValueError, "grads must have one entry per parameter (2)"),
        (lambda a: a[1].__setitem__(1, a[1][1].astype(np.float64)), TypeError, "grads[1]"),
        (lambda a: a[2].__setitem__(0, np.ones(5, np.float32)), ValueError, "buffers[0] has shape"),
        (lambda a: a[1].__setitem__(0, np.ones(8, np.float32)[::2]), ValueError, "C-contiguous"),
        (lambda a: a[0].__setitem__(0, [1.0, 2.0]), TypeError, "params[0] must be an array"),
        (lambda a: a[0].__setitem__(1, np.ones(4, np.int64)), TypeError, "params[1]"),
    ],
)
def test_sgd_step_names_bad_arrays(change, error, words):
    (ps, gs, bs), fresh, hyper = sgd_args()
    change([ps, gs, bs])
    with pytest.raises(error, match=re.escape(words)):
        _C.sgd_step(ps, gs, bs, fresh, **hyper)


def test_bad_hyperparameters_and_lists_are_named():
    (ps, gs, bs), fresh, hyper = sgd_args()
    for name, value, error in [
        ("lr", "0.1", TypeError),
        ("lr", float("nan"), ValueError),
        ("momentum", True, TypeError),
        ("nesterov", 1.5, TypeError),
    ]:
        with pytest.raises(error, match=name):
            _C.sgd_step(ps, gs, bs, fresh, **{**hyper, name: value})
    with pytest.raises(ValueError, match="buffers must be a list when momentum != 0"):
        _C.sgd_step(ps, gs, None, fresh, **hyper)
    with pytest.raises(TypeError, match="fresh\\[1\\] must be a bool"):
        _C.sgd_step(ps, gs, bs, [False, 2.0], **hyper)
    with pytest.raises(TypeError, match="params must be a list"):
        _C.sgd_step(3, gs, bs, fresh, **hyper)
    (ps, gs, ms, vs, xs), steps, hyper = adam_args()
    with pytest.raises(ValueError, match="max_exp_avg_sqs must be a list with amsgrad"):
        _C.adam_step(ps, gs, ms, vs, None, steps, **hyper)
    with pytest.raises(ValueError, match="steps\\[1\\] must be a step count >= 1, got 0"):
        _C.adam_step(ps, gs, ms, vs, xs, [1, 0], **hyper)
    for bad in (True, -1, 1.0):
        with pytest.raises((TypeError, ValueError), match="steps\\[0\\]"):
            _C.adam_step(ps, gs, ms, vs, xs, [bad, 1], **hyper)
    with pytest.raises(TypeError, match="exp_avg_sqs\\[0\\]"):
        _C.adam_step(ps, gs, ms, [vs[0].astype(np.float64), vs[1]], xs, steps, **hyper)
    with pytest.raises(TypeError, match="beta2 must be a real number"):
        _C.adam_step(ps, gs, ms, vs, xs, steps, **{**hyper, "beta2": None})


def test_shared_or_read_only_arrays_are_declined_unchanged():
    (ps, gs, ms, vs, xs), steps, hyper = adam_args()
    before = [a.copy() for a in ps + ms + vs + xs]
    whole = np.ones(8, np.float32)
    cases = [
        (ps, [ps[0], gs[1]], ms, vs, xs),  # a gradient is its own parameter
        ([whole[:4], whole[2:6]], gs, ms, vs, xs),  # two parameters overlap
        (ps, gs, ms, [vs[0], ms[1]], xs),  # two state lists share an array
    ]
    for lists in cases:
        assert _C.adam_step(*lists, steps, **hyper) is False
    read_only = np.ones(4, np.float32)
    read_only.flags.writeable = False
    assert _C.adam_step(ps, gs, [ms[0], read_only], vs, xs, steps, **hyper) is False
    after = ps + ms + vs + xs
    assert all(same(a, b) for a, b in zip(before, after, strict=True))
    assert np.all(whole == 1)
    # Gradients may share memory with each other: they are only read.
    assert _C.adam_step(ps, [gs[0], gs[0]], ms, vs, xs, steps, **hyper) is True


def test_lucid_steps_in_training_match_with_fused_and_per_parameter_paths():
    """A few training steps of a small model: the same weights either way."""

    def train(fused):
        lucid.random.seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.SELU(), nn.Linear(16, 3))
        opt = optim.AdamW(model.parameters(), lr=0.01, amsgrad=True)
        opt._foreach = fused
        x = lucid.random.randn(32, 8)
        for _ in range(4):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        return [p.data.copy() for p in model.parameters()]

    assert all(same(a, b) for a, b in zip(train(True), train(False), strict=True))
