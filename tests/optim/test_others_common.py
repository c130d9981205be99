"""What every optimiser beyond SGD and Adam shares with them: it trains a model in place,
skips parameters without a gradient, runs the closure, and survives deepcopy and pickle."""

import copy
import pickle

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn, optim

OPTIMIZERS = [
    (optim.ASGD, {"lr": 0.05, "momentum": 0.9, "t0": 10}),
    (optim.Adadelta, {"lr": 5.0}),
    (optim.Adagrad, {"lr": 0.3}),
    (optim.Adamax, {"lr": 0.05}),
    (optim.NAdam, {"lr": 0.05}),
    (optim.RAdam, {"lr": 0.05}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.Rprop, {"lr": 0.01}),
]
IDS = [cls.__name__ for cls, _ in OPTIMIZERS]


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_trains_a_linear_model_in_place(cls, config):
    lucid.random.seed(0)
    model = nn.Linear(3, 1)
    params = list(model.parameters())
    dtypes = [p.dtype for p in params]
    opt = cls(model.parameters(), **config)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((64, 3)).astype(np.float32))
    y = Tensor(x.data @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.25)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(a is b for a, b in zip(model.parameters(), params, strict=True))
    assert [p.dtype for p in model.parameters()] == dtypes
    assert losses[-1] < 1e-2 * losses[0]


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_params_without_a_gradient_are_left_alone(cls, config):
    a = nn.Parameter(np.zeros(2), dtype=np.float64)
    b = nn.Parameter(np.ones(2), dtype=np.float64)
    opt = cls([a, b], **config)
    a.grad = _storage.copy_of(np.array([1.0, -1.0]), np.float64)
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert not opt.state.get(b)
    assert opt.state[a]["step"] == 1 and not np.array_equal(a.data, [0.0, 0.0])


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_step_runs_the_closure_first_and_returns_its_loss(cls, config):
    p = nn.Parameter(np.array([1.0, -2.0]), dtype=np.float64)
    opt = cls([p], **config)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    assert opt.state[p]["step"] == 1


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_copies_and_pickles_go_on_as_the_original(cls, config):
    rng = np.random.default_rng(4)
    p = nn.Parameter(rng.standard_normal(5), dtype=np.float64)
    opt = cls([p], **config)
    grads = [rng.standard_normal(5) for _ in range(6)]
    for g in grads[:3]:
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
    finished = []
    for twin in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        (q,) = twin.param_groups[0]["params"]
        assert q is not p
        np.testing.assert_array_equal(q.data, p.data)
        for g in grads[3:]:
            q.grad = _storage.copy_of(g, np.float64)
            twin.step()
        finished.append(q.data.copy())
        assert not np.array_equal(q.data, p.data)  # the original has not moved
    for g in grads[3:]:
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
    for values in finished:
        np.testing.assert_array_equal(values, p.data)


@pytest.mark.parametrize("cls, config", OPTIMIZERS, ids=IDS)
def test_repr_lists_the_hyperparameters(cls, config):
    text = repr(cls([nn.Parameter(np.ones(1))], **config))
    assert text.startswith(f"{cls.__name__} (\nParameter Group 0\n")
    for key, value in config.items():
        assert f"    {key}: {value}\n" in text
