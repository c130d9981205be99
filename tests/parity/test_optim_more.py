"""Parity with PyTorch: Adagrad, Adadelta, Adamax, NAdam, RAdam, RMSprop, Rprop and ASGD.

Eight training steps on twin models with two parameter groups (the second at half the
learning rate) must leave the same parameters, the same optimiser state and the same
param_groups as torch.optim's, in float32 and float64.

Where lucid keeps lucid 2.x's rule the tests either pass arguments under which both
rules are one (eps=0) or compute lucid's step in numpy from PyTorch's state, whose
moments do not depend on the difference, and then copy the result into the PyTorch
model so that the next gradients agree again:
- RMSprop adds eps under the square root (PyTorch: sqrt(v) + eps);
- Adamax adds eps to the denominator (PyTorch: max(beta2·u, |g| + eps));
- RAdam rectifies from rho_t > 4 (PyTorch: > 5) and adds eps to sqrt(v/(1 − beta2^t))
  (PyTorch: to sqrt(v), before the bias correction);
- ASGD is lucid 2.x's (SGD with a running average of the weights; PyTorch's decays its
  step size and the weights with lambd): with PyTorch's lambd=0 the weights agree, and
  lucid's average is checked against numpy over PyTorch's trajectory.

Skipped as a whole where PyTorch is not installed.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _parity import DTYPES, RTOL, C, assert_close, class_targets, inputs, mlp, twins  # noqa: E402

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

tnn = torch.nn
STEPS = 8


@pytest.fixture(autouse=True)
def torch_scalars_in_float64(request):
    """PyTorch keeps some optimiser scalars as tensors of its default dtype, float32
    (NAdam's mu_product, ASGD's eta and mu), which moves float64 steps by ~6e-8;
    lucid's are Python floats. The float64 tests make PyTorch's default float64."""
    params = getattr(request.node, "callspec", None)
    old = torch.get_default_dtype()
    if params is not None and params.params.get("dtype") == np.float64:
        torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def as_numpy(value):
    return value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def models(dtype):
    return twins(lambda: mlp(nn, nn.Tanh(), out=C), lambda: mlp(tnn, tnn.Tanh(), out=C), dtype)


def groups(model, lr):
    params = list(model.parameters())
    return [{"params": params[:2]}, {"params": params[2:], "lr": lr / 2}]


def train(lopt, topt, lm, tm, dtype, adjust=None):
    """STEPS steps of both; after each, lucid's parameters must equal PyTorch's, or
    ``adjust(topt, before, step)``'s (lucid's rule from PyTorch's state), which are then
    written into the PyTorch model. Returns PyTorch's parameters after each step."""
    x, target = inputs((16, 6)).astype(dtype), class_targets(16)
    trajectory = [[p.detach().numpy().copy() for p in tm.parameters()]]
    differs = False
    for step in range(1, STEPS + 1):
        before = trajectory[-1]
        for opt, model, xs, ts, loss_fn in (
            (lopt, lm, lucid.Tensor(x), lucid.Tensor(target), nn.CrossEntropyLoss(eps=0.0)),
            (topt, tm, torch.from_numpy(x), torch.from_numpy(target), tnn.CrossEntropyLoss()),
        ):
            opt.zero_grad()
            loss_fn(model(xs), ts).backward()
            opt.step()
        expected = [p.detach().numpy().copy() for p in tm.parameters()]
        if adjust is not None:
            own, expected = expected, [e.astype(dtype) for e in adjust(topt, before, step)]
            differs = differs or any(
                not np.allclose(a, b, rtol=1e3 * RTOL[dtype], atol=0)
                for a, b in zip(own, expected, strict=True)
            )
        for (key, lp), e in zip(lm.named_parameters(), expected, strict=True):
            assert_close(lp.data, e, dtype, f"{key} after step {step}")
        if adjust is not None:
            with torch.no_grad():
                for tp, lp in zip(tm.parameters(), lm.parameters(), strict=True):
                    tp.copy_(torch.from_numpy(np.array(lp.data)))
        trajectory.append([np.array(lp.data) for lp in lm.parameters()])
    assert adjust is None or differs, "PyTorch's own steps were lucid's: nothing was adjusted"
    return trajectory


def per_param(topt):
    """(param, its state, its group) in model order."""
    return [(p, topt.state[p], g) for g in topt.param_groups for p in g["params"]]


def compare_state(lopt, topt, dtype, skip=()):
    lstate, tstate = lopt.state_dict(), topt.state_dict()
    assert lstate["state"].keys() == tstate["state"].keys()
    for index, values in tstate["state"].items():
        assert lstate["state"][index].keys() == values.keys()
        for key, value in values.items():
            got, expected = as_numpy(lstate["state"][index][key]), as_numpy(value)
            if key == "step":
                assert float(got) == float(expected) == STEPS
            elif key == "mu_product":  # a float in lucid, a 0-d tensor in PyTorch
                np.testing.assert_allclose(float(got), float(expected), rtol=10 * RTOL[dtype])
            elif key not in skip:
                assert_close(got, expected, dtype, f"state[{index}][{key}]")
    for lgroup, tgroup in zip(lstate["param_groups"], tstate["param_groups"], strict=True):
        for key, value in lgroup.items():
            if isinstance(value, tuple | list):
                assert tuple(value) == tuple(tgroup[key]), key
            else:
                assert value == tgroup[key], key


# (name, keyword arguments the same in both)
SAME_RULE = {
    "Adagrad": ("Adagrad", {"lr": 0.1}),
    "Adagrad all options": (
        "Adagrad",
        {
            "lr": 0.1,
            "lr_decay": 0.05,
            "weight_decay": 0.1,
            "initial_accumulator_value": 0.2,
            "eps": 1e-3,
        },
    ),  # fmt: skip
    "Adadelta": ("Adadelta", {"lr": 1.0}),
    "Adadelta all options": ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-3, "weight_decay": 0.1}),
    "Adamax eps=0": ("Adamax", {"lr": 0.01, "eps": 0.0}),
    "Adamax eps=0 options": (
        "Adamax",
        {"lr": 0.02, "betas": (0.8, 0.9), "eps": 0.0, "weight_decay": 0.1},
    ),  # fmt: skip
    "NAdam": ("NAdam", {"lr": 0.01}),
    "NAdam options": (
        "NAdam",
        {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-4, "weight_decay": 0.1, "momentum_decay": 0.01},
    ),
    "NAdam decoupled": ("NAdam", {"lr": 0.01, "weight_decay": 0.2, "decoupled_weight_decay": True}),
    "RMSprop eps=0": ("RMSprop", {"lr": 0.01, "eps": 0.0}),
    "RMSprop eps=0 momentum centered": (
        "RMSprop",
        {
            "lr": 0.01,
            "alpha": 0.9,
            "eps": 0.0,
            "momentum": 0.5,
            "centered": True,
            "weight_decay": 0.1,
        },
    ),  # fmt: skip
    "RMSprop eps=0 momentum": ("RMSprop", {"lr": 0.01, "eps": 0.0, "momentum": 0.9}),
    "Rprop": ("Rprop", {"lr": 0.01}),
    "Rprop options": ("Rprop", {"lr": 0.02, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SAME_RULE))
def test_optimizer_steps_match_pytorch(name, dtype):
    cls, kwargs = SAME_RULE[name]
    lm, tm = models(dtype)
    lopt = getattr(lucid.optim, cls)(groups(lm, kwargs["lr"]), **kwargs)
    topt = getattr(torch.optim, cls)(groups(tm, kwargs["lr"]), **kwargs)
    train(lopt, topt, lm, tm, dtype)
    compare_state(lopt, topt, dtype)
    if cls == "Rprop":  # the step sizes must have adapted, both ways
        sizes = topt.state_dict()["state"][0]["step_size"]
        assert torch.any(sizes > kwargs["lr"]) and torch.any(sizes < kwargs["lr"])


# ---- RMSprop and RAdam with eps, adjusted -------------------------------------------------


def rmsprop_step(topt, before, step):
    """lucid's RMSprop without momentum: p − lr·g/sqrt(w + eps), w from PyTorch's state."""
    out = []
    for (p, state, group), b in zip(per_param(topt), before, strict=True):
        g = p.grad.numpy() + group["weight_decay"] * b
        w = state["square_avg"].numpy()
        if group["centered"]:
            w = w - state["grad_avg"].numpy() ** 2
        out.append(b - group["lr"] * g / np.sqrt(w + group["eps"]))
    return out


def radam_step(topt, before, step):
    """lucid's RAdam step (threshold 4, eps after the bias correction) from PyTorch's
    moments, which are the same under either rule."""
    out = []
    for (_, state, group), b in zip(per_param(topt), before, strict=True):
        beta1, beta2 = group["betas"]
        lr, m, v = group["lr"], state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()
        if group["decoupled_weight_decay"]:
            b = b * (1 - lr * group["weight_decay"])
        c1, c2 = 1 - beta1**step, 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * step * beta2**step / c2
        if rho > 4:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2)))
            out.append(b - lr * r * (m / c1) / (np.sqrt(v / c2) + group["eps"]))
        else:
            out.append(b - lr * m / c1)
    return out


ADJUSTED = {
    "RMSprop eps": ("RMSprop", {"lr": 0.01, "eps": 1e-3}, rmsprop_step),
    "RMSprop eps centered decay": (
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "centered": True, "weight_decay": 0.1},
        rmsprop_step,
    ),
    # rho_t is in (4, 5] at step 5 for beta2 = 0.999: lucid rectifies there, PyTorch not.
    "RAdam eps=0": ("RAdam", {"lr": 0.01, "eps": 0.0}, radam_step),
    "RAdam eps": ("RAdam", {"lr": 0.01, "eps": 1e-3}, radam_step),
    "RAdam weight_decay": (
        "RAdam",
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1},
        radam_step,
    ),  # fmt: skip
    "RAdam decoupled": (
        "RAdam",
        {"lr": 0.01, "eps": 1e-4, "weight_decay": 0.3, "decoupled_weight_decay": True},
        radam_step,
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ADJUSTED))
def test_optimizer_steps_match_pytorch_adjusted_to_lucids_rule(name, dtype):
    cls, kwargs, adjust = ADJUSTED[name]
    lm, tm = models(dtype)
    lopt = getattr(lucid.optim, cls)(groups(lm, kwargs["lr"]), **kwargs)
    topt = getattr(torch.optim, cls)(groups(tm, kwargs["lr"]), **kwargs)
    train(lopt, topt, lm, tm, dtype, adjust)
    compare_state(lopt, topt, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_radam_threshold_and_eps_are_lucids(dtype):
    """The adjustment above is needed: PyTorch's own step 5 (rho_5 ≈ 4.99) differs."""
    lm, tm = models(dtype)
    lopt = lucid.optim.RAdam(groups(lm, 0.01), lr=0.01, eps=0.0)
    topt = torch.optim.RAdam(groups(tm, 0.01), lr=0.01, eps=0.0)
    with pytest.raises(AssertionError, match="after step 5"):
        train(lopt, topt, lm, tm, dtype)


# ---- ASGD ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "alpha, t0, lambd, weight_decay",
    [(1.0, 0, 0.0, 0.0), (0.75, 3, 1e-3, 0.1), (0.5, 1, 0.0, 0.05)],
    ids=["running mean", "from step 3, lambd", "alpha 0.5, decay"],
)
def test_asgd_matches_pytorch_with_lambd_zero_and_numpy_average(
    alpha, t0, lambd, weight_decay, dtype
):
    """PyTorch's ASGD with lambd=0 is SGD (its step size stays lr, its weights are not
    shrunk): lucid's weights must follow it. lucid's average ``ax`` (from a copy of the
    initial weights; from step t0, (1 − c − lambd)·ax + c·p with c = 1/(alpha·t + 1))
    is checked against numpy over that trajectory."""
    lr = 0.05
    lm, tm = models(dtype)
    lopt = lucid.optim.ASGD(
        groups(lm, lr), lr=lr, momentum=0.0, weight_decay=weight_decay, alpha=alpha, t0=t0,
        lambd=lambd,
    )  # fmt: skip
    topt = torch.optim.ASGD(groups(tm, lr), lr=lr, lambd=0.0, weight_decay=weight_decay)
    trajectory = train(lopt, topt, lm, tm, dtype)
    averages = [p.astype(np.float64) for p in trajectory[0]]
    for t in range(1, STEPS + 1):
        if t >= t0:
            c = 1.0 / (alpha * t + 1)
            averages = [
                (1 - c - lambd) * a + c * p for a, p in zip(averages, trajectory[t], strict=True)
            ]
    lstate = lopt.state_dict()["state"]
    got = lopt.get_averages()
    for i, expected in enumerate(averages):
        assert lstate[i]["step"] == STEPS
        np.testing.assert_allclose(lstate[i]["ax"], expected, rtol=100 * RTOL[dtype], atol=0)
        np.testing.assert_array_equal(got[i], np.asarray(lstate[i]["ax"]))
    assert not np.allclose(averages[0], trajectory[-1][0]), "the average is only the last weights"
