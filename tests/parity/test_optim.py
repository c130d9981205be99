"""Parity with PyTorch: SGD, Adam and AdamW take the same steps.

A few training steps on twin models, with two parameter groups, must leave the same
parameters, the same optimiser state and the same param_groups in both libraries.

Skipped as a whole where PyTorch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _parity import DTYPES, C, assert_close, class_targets, inputs, mlp, twins  # noqa: E402

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

tnn = torch.nn

# ---- optimisers -------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": ("SGD", {"lr": 0.1}),
    "SGD momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "SGD dampening": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "SGD nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "SGD weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05}),
    "Adam": ("Adam", {"lr": 0.01}),
    "Adam weight_decay": ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    # beta2 = 0.5 lets v shrink between steps, so the running maximum matters.
    "Adam amsgrad": ("Adam", {"lr": 0.01, "betas": (0.9, 0.5), "amsgrad": True}),
    "AdamW": ("AdamW", {"lr": 0.01}),
    "AdamW weight_decay": ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "eps": 1e-6}),
    "AdamW amsgrad": ("AdamW", {"lr": 0.01, "betas": (0.9, 0.5), "amsgrad": True}),
}
STEPS = 6


def as_numpy(value):
    return value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps_match_pytorch(name, dtype):
    """A few training steps on twin models leave the same parameters and the same state.

    Two parameter groups (the second with half the learning rate) check per-group
    hyperparameters too.
    """
    cls, kwargs = OPTIMIZERS[name]
    lm, tm = twins(lambda: mlp(nn, nn.Tanh(), out=C), lambda: mlp(tnn, tnn.Tanh(), out=C), dtype)
    half = kwargs["lr"] / 2

    def groups(model):
        params = list(model.parameters())
        return [{"params": params[:2]}, {"params": params[2:], "lr": half}]

    lopt = getattr(lucid.optim, cls)(groups(lm), **kwargs)
    topt = getattr(torch.optim, cls)(groups(tm), **kwargs)
    x, target = inputs((16, 6)).astype(dtype), class_targets(16)
    for step in range(STEPS):
        for opt, model, xs, ts, loss_fn in (
            (lopt, lm, lucid.Tensor(x), lucid.Tensor(target), nn.CrossEntropyLoss(eps=0.0)),
            (topt, tm, torch.from_numpy(x), torch.from_numpy(target), tnn.CrossEntropyLoss()),
        ):
            opt.zero_grad()
            loss_fn(model(xs), ts).backward()
            opt.step()
        for (key, lp), tp in zip(lm.named_parameters(), tm.parameters(), strict=True):
            assert_close(lp.data, tp.detach().numpy(), dtype, f"{key} after step {step + 1}")

    lstate, tstate = lopt.state_dict(), topt.state_dict()
    assert lstate["state"].keys() == tstate["state"].keys()
    for index, values in tstate["state"].items():
        assert lstate["state"][index].keys() == values.keys()
        for key, value in values.items():
            got, expected = as_numpy(lstate["state"][index][key]), as_numpy(value)
            if key == "step":
                assert float(got) == float(expected) == STEPS
            else:
                assert_close(got, expected, dtype, f"state[{index}][{key}]")
    for lgroup, tgroup in zip(lstate["param_groups"], tstate["param_groups"], strict=True):
        for key, value in lgroup.items():
            assert tuple(value) == tuple(tgroup[key]) if key == "betas" else value == tgroup[key]
    if kwargs.get("amsgrad"):
        state = topt.state_dict()["state"][0]
        assert torch.any(state["max_exp_avg_sq"] > state["exp_avg_sq"]), "amsgrad never mattered"
