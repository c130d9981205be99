"""Shared checks for the optimiser tests beyond SGD and Adam: stepping a parameter
through fixed gradients, the state dict's layout and its round trip."""

import inspect

import numpy as np

from lucid import Tensor, _storage, nn


def gradients(shape, steps=6, seed=0, scale=1.0):
    """Fixed gradients: signs that repeat and that flip, magnitudes that vary."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * scale for _ in range(steps)]


def start_values(shape=(3, 4), seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def run(cls, config, start, grads, dtype=np.float64):
    """The parameter's values after each step (copies); checks every step writes in
    place and keeps the dtype."""
    p = nn.Parameter(start, dtype=dtype)
    view = p.data
    opt = cls([p], **config)
    out = []
    for g in grads:
        p.grad = _storage.copy_of(g, dtype)
        opt.step()
        assert p.data is view and p.dtype == dtype
        out.append(p.data.copy())
    return out, opt, p


def assert_follows(cls, config, reference, start, grads, dtype=np.float64, rtol=1e-12):
    got, opt, p = run(cls, config, start, grads, dtype)
    want = reference(start.astype(np.float64), grads, **config)
    assert len(want) == len(got)
    atol = 1e-14 if dtype == np.float64 else 1e-6
    for t, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"step {t}")
    return opt, p


def check_state_layout(cls, config, keys, start, grads, dtype=np.float64):
    """state[p] holds ``step`` (an int counting the steps) and Tensors in p's dtype, in
    Rust storage, under exactly ``keys``; state_dict numbers them from 0."""
    _, opt, p = run(cls, config, start, grads, dtype)
    state = opt.state[p]
    assert set(state) == {"step", *keys}
    assert isinstance(state["step"], int) and state["step"] == len(grads)
    for key in keys:
        if isinstance(state[key], float):
            continue
        assert isinstance(state[key], Tensor), key
        assert state[key].dtype == dtype and state[key].shape == p.shape
        assert _storage.is_storage_view(state[key].data)
    saved = opt.state_dict()
    assert list(saved["state"]) == [0] and set(saved["state"][0]) == set(state)
    assert saved["param_groups"][0]["params"] == [0]
    return state


def check_round_trip(cls, config, start, grads, split=3):
    """Stopping after ``split`` steps, loading the state dict into a new optimiser (made
    with default hyperparameters) and going on gives the uninterrupted run's values; the
    loaded state is a copy."""
    whole, _, _ = run(cls, config, start, grads)
    p = nn.Parameter(start, dtype=np.float64)
    opt = cls([p], **config)
    for g in grads[:split]:
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
    q = nn.Parameter(p.data.copy(), dtype=np.float64)
    fresh = cls([q])
    fresh.load_state_dict(opt.state_dict())
    assert {k: v for k, v in fresh.param_groups[0].items() if k != "params"} == {
        k: v for k, v in opt.param_groups[0].items() if k != "params"
    }
    for g in grads[split:]:
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()  # steps the original's state: the loaded copy must not see them
    for g in grads[split:]:
        q.grad = _storage.copy_of(g, np.float64)
        fresh.step()
    np.testing.assert_array_equal(q.data, whole[-1])
    np.testing.assert_array_equal(p.data, whole[-1])
    assert fresh.state[q]["step"] == len(grads)


EMPTY = inspect.Parameter.empty  # the default of an argument without one


def positional(cls):
    """(name, default) of each positional-or-keyword argument after self."""
    return [
        (name, param.default)
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and name != "self"
    ]


def check_positional_spelling(cls, args, kwargs, start, grads):
    """Hyperparameters by position give the same steps as by keyword."""
    a = nn.Parameter(start, dtype=np.float64)
    b = nn.Parameter(start, dtype=np.float64)
    by_position, by_keyword = cls([a], *args), cls([b], **kwargs)
    for g in grads:
        a.grad = _storage.copy_of(g, np.float64)
        b.grad = _storage.copy_of(g, np.float64)
        by_position.step()
        by_keyword.step()
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, start)


def ids(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "defaults"


def check_lucid2_state_loads(cls, config, start, grads, lucid2_names, dropped=(), split=3):
    """A state dict in lucid 2.x's form (numpy arrays under its names, ``dropped`` keys
    absent) loads and goes on as the uninterrupted run."""
    whole, _, _ = run(cls, config, start, grads)
    _, opt, p = run(cls, config, start, grads[:split])
    saved = opt.state_dict()
    theirs = {v: k for k, v in lucid2_names.items()}
    state = {
        i: {
            theirs.get(k, k): np.array(v.data) if isinstance(v, Tensor) else v
            for k, v in values.items()
            if k not in dropped
        }
        for i, values in saved["state"].items()
    }
    assert set(lucid2_names) <= set(state[0])
    q = nn.Parameter(p.data.copy(), dtype=np.float64)
    fresh = cls([q], **config)
    fresh.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    assert set(fresh.state[q]) == set(saved["state"][0]) - set(dropped)
    for g in grads[split:]:
        q.grad = _storage.copy_of(g, np.float64)
        fresh.step()
    np.testing.assert_allclose(q.data, whole[-1], rtol=1e-14, atol=1e-15)
